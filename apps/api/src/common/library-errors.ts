/**
 * What the libraries under the API throw, in HTTP terms: a value Postgres refused is bad input (400);
 * a dependency that cannot be reached is unavailable (503). Anything else is left as it is.
 */
export interface ClassifiedError {
  status: 400 | 503;
  message: string;
}

/** Postgres data errors (class 22) and constraint errors a value caused: the request's fault. */
const BAD_INPUT_CODES: Record<string, string> = {
  '22P02': 'a value has the wrong form',
  '22P05': 'a value holds a character the database cannot store',
  '22001': 'a value is longer than the database allows',
  '22003': 'a number is out of range',
  '22007': 'a date or time has the wrong form',
  '22008': 'a date or time is out of range',
  '22021': 'a value holds a character the database cannot store',
  '22023': 'a value is not valid',
  '22025': 'a value holds an invalid escape',
  '2202E': 'an array index is out of range',
  '23502': 'a required value is missing',
  '23514': 'a value breaks a rule of the database',
};

/** Postgres codes of a server that is gone, starting, shutting down or unreachable. */
const UNAVAILABLE_CODE = /^(08|57P0[1-4]|53300|58030)/;

const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Connection is closed/i,
  /Stream isn't writeable/i,
  /connect(ion)? (ECONNREFUSED|timed out)/i,
  /Reached the max retries per request limit/i,
  /Cannot use a pool after calling end/i,
  /Client has encountered a connection error/i,
  /Driver not Connected/i,
];

const UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'ConnectionIsNotSetError', 'CannotConnectAlreadyConnectedError']);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
  driverError?: unknown;
}

/** The error and what it wraps (TypeORM's driverError, `cause`, an AggregateError's errors), bounded. */
function* chain(e: unknown): Generator<ErrorLike> {
  const queue: unknown[] = [e];
  for (let seen = 0; queue.length > 0 && seen < 16; seen++) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null) continue;
    const err = next as ErrorLike;
    yield err;
    queue.push(err.driverError, err.cause, ...(Array.isArray(err.errors) ? err.errors : []));
  }
}

export function classifyLibraryError(e: unknown): ClassifiedError | null {
  if (isValidationErrors(e)) return { status: 400, message: e.map((v) => Object.values(v.constraints ?? {}).join('; ')).join('; ') };
  for (const err of chain(e)) {
    const code = typeof err.code === 'string' ? err.code : '';
    const message = typeof err.message === 'string' ? err.message : '';
    const name = typeof err.name === 'string' ? err.name : '';
    if (code in BAD_INPUT_CODES) return { status: 400, message: `bad input: ${BAD_INPUT_CODES[code]} (${firstLine(message)})` };
    if (UNAVAILABLE_CODE.test(code) || UNAVAILABLE_ERRNO.has(code) || UNAVAILABLE_NAMES.has(name)) return unavailable(message || code);
    if (UNAVAILABLE_MESSAGES.some((m) => m.test(message))) return unavailable(message);
  }
  return null;
}

/** class-validator's own result (`validate()` rejects with it when told to). */
function isValidationErrors(e: unknown): e is { constraints?: Record<string, string> }[] {
  return Array.isArray(e) && e.length > 0 && e.every((v) => typeof v === 'object' && v !== null && 'constraints' in v && 'property' in v);
}

const unavailable = (why: string): ClassifiedError => ({
  status: 503,
  message: `a dependency (database or queue) is unavailable: ${firstLine(why)}`,
});

const firstLine = (s: string) => s.split('\n')[0].slice(0, 300);
