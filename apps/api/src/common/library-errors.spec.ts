import { classifyLibraryError } from './library-errors';

/** Shapes as the libraries throw them: pg's DatabaseError (with `code`), TypeORM's QueryFailedError (driverError), errno errors. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });
const queryFailed = (driverError: Error) => Object.assign(new Error(driverError.message), { name: 'QueryFailedError', driverError });

describe('library errors', () => {
  it.each([
    ['22P02', 'invalid byte sequence for encoding "UTF8": 0x00'],
    ['22001', 'value too long for type character varying(64)'],
    ['22003', 'value "99999999999" is out of range for type integer'],
    ['23502', 'null value in column "device" of relation "kernel_tests" violates not-null constraint'],
    ['22021', 'invalid byte sequence for encoding "UTF8"'],
  ])('maps Postgres %s (a value the database refused) to 400', (code, message) => {
    expect(classifyLibraryError(queryFailed(pgError(code, message)))).toEqual({ status: 400, message: expect.stringContaining(message) });
  });

  it("maps class-validator's errors to 400 with their messages", () => {
    const errors = [{ property: 'arch', constraints: { matches: 'arch must be a kernel architecture such as riscv' } }];
    expect(classifyLibraryError(errors)).toEqual({ status: 400, message: 'arch must be a kernel architecture such as riscv' });
  });

  it.each([
    ['pg: server shut down', pgError('57P01', 'terminating connection due to administrator command')],
    ['pg: starting up', pgError('57P03', 'the database system is starting up')],
    ['pg: connection failure', pgError('08006', 'connection failure')],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly')],
    ['pg-pool: connect timeout', new Error('timeout exceeded when trying to connect')],
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['timed out', Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })],
    ['ioredis: closed', new Error('Connection is closed.')],
    ['ioredis: offline queue off', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    [
      'ioredis: retries',
      Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' }),
    ],
    ['wrapped in a cause', new Error('enqueue failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) })],
    [
      'an AggregateError (Node 20 dual-stack connect)',
      Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]), { code: '' }),
    ],
    ['TypeORM around pg', queryFailed(pgError('57P01', 'terminating connection'))],
  ])('maps a connection error (%s) to 503', (_what, e) => {
    expect(classifyLibraryError(e)?.status).toBe(503);
  });

  it('leaves everything else alone (a real bug stays a 500 and is logged)', () => {
    expect(classifyLibraryError(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBeNull();
    expect(classifyLibraryError(pgError('42P01', 'relation "runs" does not exist'))).toBeNull();
    expect(classifyLibraryError('a string')).toBeNull();
  });
});
