// class-validator / class-transformer decorators need the metadata polyfill the apps load in main.ts.
import 'reflect-metadata';
import { EnvironmentError, validateEnvironment } from './environment';

/** Runs validateEnvironment and returns the EnvironmentError it throws (fails the test if it does not throw). */
function environmentError(raw: Record<string, string | undefined>): EnvironmentError {
  try {
    validateEnvironment(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(EnvironmentError);
    return e as EnvironmentError;
  }
  throw new Error('expected validateEnvironment to throw');
}

describe('validateEnvironment', () => {
  describe('with nothing set', () => {
    it('listens on 127.0.0.1:8080 and runs both the API and the worker', () => {
      const env = validateEnvironment({});
      expect(env.PORT).toBe(8080);
      expect(env.HOST).toBe('127.0.0.1');
      expect(env.RUNYARD_ROLE).toBe('all');
    });

    it('reads ./runyard.yaml and keeps its data in ./.runyard', () => {
      const env = validateEnvironment({});
      expect(env.RUNYARD_CONFIG).toBe('./runyard.yaml');
      expect(env.RUNYARD_DATA_DIR).toBe('./.runyard');
    });

    it('uses the documented limits and timings', () => {
      const env = validateEnvironment({});
      expect({
        RUN_CONCURRENCY: env.RUN_CONCURRENCY,
        COMMAND_CONCURRENCY: env.COMMAND_CONCURRENCY,
        RUN_LOG_CAP_BYTES: env.RUN_LOG_CAP_BYTES,
        COMMAND_TIMEOUT_MS: env.COMMAND_TIMEOUT_MS,
        RUN_START_WAIT_MS: env.RUN_START_WAIT_MS,
        STOP_GRACE_MS: env.STOP_GRACE_MS,
        HEARTBEAT_MS: env.HEARTBEAT_MS,
        LOST_AFTER_MS: env.LOST_AFTER_MS,
      }).toEqual({
        RUN_CONCURRENCY: 16,
        COMMAND_CONCURRENCY: 4,
        RUN_LOG_CAP_BYTES: 10 * 1024 * 1024,
        COMMAND_TIMEOUT_MS: 120_000,
        RUN_START_WAIT_MS: 10_000,
        STOP_GRACE_MS: 10_000,
        HEARTBEAT_MS: 5_000,
        LOST_AFTER_MS: 60_000,
      });
    });

    it('has no database or Redis URL and does not log SQL', () => {
      const env = validateEnvironment({});
      expect(env.DATABASE_URL).toBeUndefined();
      expect(env.REDIS_URL).toBeUndefined();
      expect(env.RUNYARD_LOG_SQL).toBeUndefined();
    });
  });

  describe('with valid values', () => {
    it('turns numeric variables into numbers', () => {
      const env = validateEnvironment({ PORT: '9000', RUN_CONCURRENCY: '2', COMMAND_TIMEOUT_MS: '500' });
      expect(env.PORT).toBe(9000);
      expect(env.RUN_CONCURRENCY).toBe(2);
      expect(env.COMMAND_TIMEOUT_MS).toBe(500);
    });

    it('accepts the highest and lowest port numbers', () => {
      expect(validateEnvironment({ PORT: '1' }).PORT).toBe(1);
      expect(validateEnvironment({ PORT: '65535' }).PORT).toBe(65535);
    });

    it.each(['postgres://runyard@db:5432/runyard', 'postgresql://runyard@db/runyard'])('accepts DATABASE_URL=%s', (url) => {
      expect(validateEnvironment({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    });

    it.each(['redis://cache:6379', 'rediss://cache:6380/1'])('accepts REDIS_URL=%s', (url) => {
      expect(validateEnvironment({ REDIS_URL: url }).REDIS_URL).toBe(url);
    });

    it.each(['all', 'api', 'worker'] as const)('accepts RUNYARD_ROLE=%s', (role) => {
      expect(validateEnvironment({ RUNYARD_ROLE: role }).RUNYARD_ROLE).toBe(role);
    });

    it.each([
      ['true', true],
      ['TRUE', true],
      ['false', false],
    ])('reads RUNYARD_LOG_SQL=%s as %s', (value, expected) => {
      expect(validateEnvironment({ RUNYARD_LOG_SQL: value }).RUNYARD_LOG_SQL).toBe(expected);
    });

    it('ignores variables it does not know (a real process.env has many)', () => {
      const env = validateEnvironment({ PATH: '/usr/bin', HOME: '/home/u', PORT: '8081' });
      expect(env.PORT).toBe(8081);
    });
  });

  describe('empty variables', () => {
    it('treats PORT="" , HOST="" and RUNYARD_ROLE="" as unset and uses the defaults', () => {
      const env = validateEnvironment({ PORT: '', HOST: '', RUNYARD_ROLE: '', RUNYARD_CONFIG: '' });
      expect(env.PORT).toBe(8080);
      expect(env.HOST).toBe('127.0.0.1');
      expect(env.RUNYARD_ROLE).toBe('all');
      expect(env.RUNYARD_CONFIG).toBe('./runyard.yaml');
    });

    it('treats DATABASE_URL="" and REDIS_URL="" as unset instead of as bad URLs', () => {
      const env = validateEnvironment({ DATABASE_URL: '', REDIS_URL: '' });
      expect(env.DATABASE_URL).toBeUndefined();
      expect(env.REDIS_URL).toBeUndefined();
    });

    it('treats undefined entries (as in process.env) as unset', () => {
      expect(validateEnvironment({ PORT: undefined, RUNYARD_ROLE: undefined }).PORT).toBe(8080);
    });
  });

  describe('with bad values', () => {
    it('reports a bad PORT, a non-postgres DATABASE_URL and an unknown RUNYARD_ROLE together in one error', () => {
      const error = environmentError({
        PORT: '70000',
        DATABASE_URL: 'mysql://db/runyard',
        RUNYARD_ROLE: 'scheduler',
        HOST: '0.0.0.0',
      });
      const [header, ...lines] = error.message.split('\n');
      expect(header).toBe('Invalid environment variables:');
      expect(lines.sort()).toEqual(
        [
          '  DATABASE_URL (its value not repeated: it may hold a password): DATABASE_URL must be a postgres:// URL',
          '  PORT="70000": PORT must not be greater than 65535',
          '  RUNYARD_ROLE="scheduler": RUNYARD_ROLE must be one of the following values: all, api, worker',
        ].sort(),
      );
    });

    it('does not mention variables that are fine', () => {
      const error = environmentError({ PORT: '0', HOST: '0.0.0.0', REDIS_URL: 'redis://cache' });
      expect(error.message).toBe('Invalid environment variables:\n  PORT="0": PORT must not be less than 1');
    });

    it('quotes the value the user gave for a non-numeric PORT', () => {
      const error = environmentError({ PORT: 'eighty' });
      expect(error.message).toContain('PORT="eighty": ');
      expect(error.message).toContain('PORT must be an integer number');
    });

    it('refuses a fractional PORT', () => {
      expect(environmentError({ PORT: '80.5' }).message).toContain('PORT="80.5": PORT must be an integer number');
    });

    it('refuses a DATABASE_URL or KCIDB_URL that is not its kind of URL without repeating it: it may hold a password', () => {
      for (const [name, value] of [
        ['DATABASE_URL', 'mysql://runyard:s3cret-pw@db/runyard'],
        ['KCIDB_URL', 'ftp://kcidb:s3cret-pw@kcidb.example'],
      ]) {
        const message = environmentError({ [name]: value }).message;
        expect(message).toContain(`${name} (its value not repeated: it may hold a password): ${name} must be`);
        expect(message).not.toContain('s3cret-pw');
      }
    });

    it('refuses a REDIS_URL that is not one of its forms, without repeating it (it may hold a password)', () => {
      const message = environmentError({ REDIS_URL: 'http://user:s3cret@cache:6379' }).message;
      expect(message).toMatch(
        /^Invalid environment variables:\n {2}REDIS_URL must be redis:\/\/ or rediss:\/\/ \(one server\), redis\+sentinel:/,
      );
      expect(message).not.toContain('s3cret');
      expect(environmentError({ REDIS_URL: 'redis+sentinel://a:26379,b/primary' }).message).toContain('"b" is not host:port');
      expect(environmentError({ REDIS_URL: 'redis+sentinel://a:26379' }).message).toContain("needs the primary's name");
      expect(environmentError({ REDIS_URL: 'redis+cluster://a:7000/0' }).message).toContain('no database number');
    });

    it('refuses TuxSuite without RUNYARD_PUBLIC_URL, naming it (callbacks would never arrive)', () => {
      const tuxsuite = { TUXSUITE_TOKEN: 't', TUXSUITE_GROUP: 'g', TUXSUITE_PROJECT: 'p' };
      expect(environmentError(tuxsuite).message).toContain('RUNYARD_PUBLIC_URL must be set when TuxSuite is configured');
      expect(validateEnvironment({ ...tuxsuite, RUNYARD_PUBLIC_URL: 'https://runyard.example.org' }).RUNYARD_PUBLIC_URL).toBe(
        'https://runyard.example.org',
      );
      expect(validateEnvironment({}).RUNYARD_PUBLIC_URL).toBeUndefined();
    });

    it('refuses a heartbeat that is not well under the time after which runs count as abandoned, naming both', () => {
      for (const [HEARTBEAT_MS, LOST_AFTER_MS] of [
        ['30000', '60000'],
        ['70000', '60000'],
      ]) {
        const error = environmentError({ HEARTBEAT_MS, LOST_AFTER_MS });
        expect(error.message).toContain(`HEARTBEAT_MS=${HEARTBEAT_MS}, LOST_AFTER_MS=${LOST_AFTER_MS}`);
        expect(error.message).toContain('HEARTBEAT_MS must be less than half of LOST_AFTER_MS');
      }
      expect(validateEnvironment({ HEARTBEAT_MS: '29999', LOST_AFTER_MS: '60000' }).HEARTBEAT_MS).toBe(29999);
    });

    it('refuses a DATABASE_URL with only the scheme', () => {
      expect(environmentError({ DATABASE_URL: 'postgres://' }).message).toContain(
        'DATABASE_URL (its value not repeated: it may hold a password): DATABASE_URL must be a postgres:// URL',
      );
    });

    it.each([
      ['RUN_CONCURRENCY', '0', 'RUN_CONCURRENCY must not be less than 1'],
      ['COMMAND_CONCURRENCY', '0', 'COMMAND_CONCURRENCY must not be less than 1'],
      ['RUN_LOG_CAP_BYTES', '512', 'RUN_LOG_CAP_BYTES must not be less than 1024'],
      ['COMMAND_TIMEOUT_MS', '99', 'COMMAND_TIMEOUT_MS must not be less than 100'],
      ['RUN_START_WAIT_MS', '-1', 'RUN_START_WAIT_MS must not be less than 0'],
      ['STOP_GRACE_MS', '-1', 'STOP_GRACE_MS must not be less than 0'],
      ['HEARTBEAT_MS', '50', 'HEARTBEAT_MS must not be less than 100'],
      ['LOST_AFTER_MS', '999', 'LOST_AFTER_MS must not be less than 1000'],
    ])('refuses %s=%s below its minimum', (name, value, reason) => {
      expect(environmentError({ [name]: value }).message).toBe(
        `Invalid environment variables:\n  ${name}=${JSON.stringify(value)}: ${reason}`,
      );
    });
  });
});
