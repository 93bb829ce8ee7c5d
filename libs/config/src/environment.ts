import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsDefined, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateIf, validateSync } from './environment-validators';
import { cidrList } from './cidr-list';
import { parseRedisUrl } from './redis-url';
import { postgresHosts } from './database-url';

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** `pretty`: a line per event for a person; `json`: pino's JSON lines for a collector. */
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Every environment variable Runyard reads, validated once at start-up. */
export class Environment {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 8080;

  @IsString()
  HOST = '127.0.0.1';

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsOptional()
  @IsString() // its forms: parseRedisUrl (validateEnvironment)
  REDIS_URL?: string;

  @IsString()
  RUNYARD_DATA_DIR = './.runyard';

  /** Redis key prefix of the queues, so several Runyards can share one Redis. */
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'QUEUE_PREFIX must be letters, digits, . _ -' })
  QUEUE_PREFIX = 'bull';

  @IsString()
  RUNYARD_CONFIG = './runyard.yaml';

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  /** Unset: `pretty` when standard output is a terminal, else `json`. */
  @IsOptional()
  @IsIn(LOG_FORMATS, { message: `LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}` })
  LOG_FORMAT?: LogFormat;

  @IsIn(['all', 'api', 'worker'])
  RUNYARD_ROLE: 'all' | 'api' | 'worker' = 'all';

  /** `token`: every route but health and signed callbacks needs a bearer token. `none`: allowed only on loopback. */
  @IsIn(['token', 'none'])
  AUTH_MODE: 'token' | 'none' = 'token';

  /** /metrics without a token (for a Prometheus on a trusted network). */
  @Transform(({ value }) => (value === undefined ? false : String(value).toLowerCase() === 'true'))
  @IsOptional()
  METRICS_PUBLIC = false;

  /** Becomes an admin token at start-up (any string; keep it secret). */
  @IsOptional()
  @IsString()
  RUNYARD_BOOTSTRAP_TOKEN?: string;

  /** Long runs (`autosubmit run`) one worker process holds at once. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  RUN_CONCURRENCY = 16;

  /** Short commands (stop, set-status, create, …) one worker process executes at once. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  COMMAND_CONCURRENCY = 4;

  /** Output kept per run; the rest is counted and reported as truncated. */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  RUN_LOG_CAP_BYTES = 10 * 1024 * 1024;

  /** How long a request for a short command waits for its result before answering 504. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  COMMAND_TIMEOUT_MS = 120_000;

  /** How long run-experiment waits for the process to start (to answer its pid). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  RUN_START_WAIT_MS = 10_000;

  /** Between `autosubmit stop`, SIGTERM and SIGKILL. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  STOP_GRACE_MS = 10_000;

  @Type(() => Number)
  @IsInt()
  @Min(100)
  HEARTBEAT_MS = 5_000;

  /** A run whose worker has not been heard of for this long is re-attached (same host) or LOST. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  LOST_AFTER_MS = 60_000;

  /** How long a request waits for the queue to take a run's job before answering 503 (the run then never executes). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  ENQUEUE_TIMEOUT_MS = 5_000;

  /** A queued run older than this whose job is missing (lost with Redis) is enqueued again. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  REQUEUE_AFTER_MS = 10_000;

  /**
   * Where runner services (TuxSuite) send their callbacks: this Runyard's URL as they reach it.
   * Required with TuxSuite: without callbacks its builds and tests would stay SUBMITTED forever.
   */
  @ValidateIf((e: Environment) => e.RUNYARD_PUBLIC_URL !== undefined || e.TUXSUITE_TOKEN !== undefined)
  @IsDefined({
    message:
      'RUNYARD_PUBLIC_URL must be set when TuxSuite is configured (TUXSUITE_TOKEN): TuxSuite sends its callbacks there, and without them builds and tests never finish',
  })
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'RUNYARD_PUBLIC_URL must be an http(s) URL' })
  RUNYARD_PUBLIC_URL?: string;

  @Matches(/^https?:\/\/[^\s]+$/, { message: 'TUXSUITE_URL must be an http(s) URL' })
  TUXSUITE_URL = 'https://tuxapi.tuxsuite.com';

  @IsOptional()
  @IsString()
  TUXSUITE_TOKEN?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]+$/, { message: 'TUXSUITE_GROUP must be a TuxSuite group name' })
  TUXSUITE_GROUP?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]+$/, { message: 'TUXSUITE_PROJECT must be a TuxSuite project name' })
  TUXSUITE_PROJECT?: string;

  /** TuxSuite's callback signing key (an `ecdsa-sha2-nistp256 …` line); unset: fetched from the project's keys endpoint and cached. */
  @IsOptional()
  @Matches(/^ecdsa-sha2-nistp256 [A-Za-z0-9+/=]+( .*)?$/, {
    message: 'TUXSUITE_PUBLIC_KEY must be an ecdsa-sha2-nistp256 OpenSSH public key line',
  })
  TUXSUITE_PUBLIC_KEY?: string;

  /** Least time between two fetches of TuxSuite's signing key (a failed signature refetches it once). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  TUXSUITE_KEY_REFETCH_MIN_MS = 10_000;

  /** Results and logs downloaded from a runner service: time and size limits. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  DOWNLOAD_TIMEOUT_MS = 30_000;

  @Type(() => Number)
  @IsInt()
  @Min(1024)
  DOWNLOAD_MAX_BYTES = 20 * 1024 * 1024;

  /** KCIDB submission of builds and test results; unset: not submitted. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'KCIDB_URL must be an http(s) URL' })
  KCIDB_URL?: string;

  @IsOptional()
  @IsString()
  KCIDB_TOKEN?: string;

  @Matches(/^[a-z0-9_]+$/, { message: 'KCIDB_ORIGIN must be a KCIDB origin (lower case, digits, _)' })
  KCIDB_ORIGIN = 'runyard';

  /** The shortest time between two fires a new schedule may have (its cron checked at creation). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SCHEDULE_MIN_INTERVAL_S = 60;

  /** How often failed KCIDB submissions are tried again. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  KCIDB_RETRY_MS = 300_000;

  /** Runner SDK packages: a file:// directory every API instance shares; unset: RUNYARD_DATA_DIR/packages. */
  @IsOptional()
  @Matches(/^file:\/\/\/.*/, { message: 'PACKAGE_STORAGE must be a file:/// URL' })
  PACKAGE_STORAGE?: string;

  /** Runner SDK objects too large for a row: a file:// directory every API instance shares; unset: RUNYARD_DATA_DIR/objects. */
  @IsOptional()
  @Matches(/^file:\/\/\/.*/, { message: 'OBJECT_STORAGE must be a file:/// URL' })
  OBJECT_STORAGE?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1024)
  PACKAGE_MAX_BYTES = 256 * 1024 * 1024;

  @Type(() => Number)
  @IsInt()
  @Min(1024)
  OBJECT_MAX_BYTES = 1024 * 1024 * 1024;

  /** An application whose client has not renewed its lease for this long is cleaned up by the reaper. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  SESSION_LEASE_MS = 60_000;

  /** How often the reaper looks for expired leases, vanished executors and leftovers. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  SESSION_REAPER_MS = 5_000;

  /** Executors a session may lose in a row (each restarted from its last committed state) before it is lost. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SESSION_MAX_RESTARTS = 3;
  /** How often runner agents report (told to them); an agent is online while heard from within three of these. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  AGENT_HEARTBEAT_MS = 10_000;

  /** How long an agent's request for work is held open when there is none. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  AGENT_LONG_POLL_MS = 30_000;

  /** An agent silent for this long has lost its runs (LOST); back within it, they carry on. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  AGENT_LOST_AFTER_MS = 300_000;

  /** How long an agent has to take a run handed to it before the run goes back to the queue. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  AGENT_ACCEPT_TIMEOUT_MS = 10_000;

  /** An agent's secret older than this is rotated by the agent itself, without downtime; 0: never. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  AGENT_SECRET_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

  /**
   * Address ranges (comma-separated CIDRs) push agents' endpoints may be in although they are
   * loopback, private, link-local … (refused by default: Runyard would be a way into its own network).
   */
  @IsString()
  AGENT_ENDPOINT_ALLOW = '';

  @Transform(({ value }) => (value === undefined ? undefined : String(value).toLowerCase() === 'true'))
  @IsOptional()
  RUNYARD_LOG_SQL?: boolean;
}

export class EnvironmentError extends Error {}

export { RUNYARD_OWN_ENV } from './own-env';

// URLs (user:password@…), tokens and secrets: a start-up error names them, never repeats their value.
const MAY_HOLD_SECRET = /_URL$|TOKEN|SECRET|PASSWORD/;
const shown = (name: string, value: string | undefined): string =>
  MAY_HOLD_SECRET.test(name) ? `${name} (its value not repeated: it may hold a password)` : `${name}=${JSON.stringify(value)}`;

/** Returns the typed environment or throws one error naming every bad variable. */
export function validateEnvironment(raw: Record<string, string | undefined>): Environment {
  const present = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const env = plainToInstance(Environment, present, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${shown(e.property, raw[e.property])}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new EnvironmentError(`Invalid environment variables:\n${lines.join('\n')}`);
  }
  if (env.HEARTBEAT_MS >= env.LOST_AFTER_MS / 2) {
    throw new EnvironmentError(
      `Invalid environment variables:\n  HEARTBEAT_MS=${env.HEARTBEAT_MS}, LOST_AFTER_MS=${env.LOST_AFTER_MS}: HEARTBEAT_MS must be less than half of LOST_AFTER_MS, or live runs look abandoned`,
    );
  }
  if (env.AGENT_LOST_AFTER_MS <= 3 * env.AGENT_HEARTBEAT_MS) {
    throw new EnvironmentError(
      `Invalid environment variables:\n  AGENT_HEARTBEAT_MS=${env.AGENT_HEARTBEAT_MS}, AGENT_LOST_AFTER_MS=${env.AGENT_LOST_AFTER_MS}: AGENT_LOST_AFTER_MS must be more than three heartbeats, or agents that are online lose their runs`,
    );
  }
  try {
    if (env.DATABASE_URL && postgresHosts(env.DATABASE_URL) && !env.REDIS_URL) {
      throw new Error("DATABASE_URL names several hosts: set REDIS_URL too (BullMQ's PostgreSQL backend connects to one host)");
    }
  } catch (e) {
    // Not the value: it may hold a password.
    throw new EnvironmentError(`Invalid environment variables:\n  ${(e as Error).message}`);
  }
  try {
    if (env.REDIS_URL) parseRedisUrl(env.REDIS_URL);
  } catch (e) {
    // Not the value: it may hold a password.
    throw new EnvironmentError(`Invalid environment variables:\n  ${(e as Error).message}`);
  }
  try {
    cidrList(env.AGENT_ENDPOINT_ALLOW);
  } catch (e) {
    throw new EnvironmentError(
      `Invalid environment variables:\n  AGENT_ENDPOINT_ALLOW=${JSON.stringify(raw.AGENT_ENDPOINT_ALLOW)}: ${(e as Error).message}`,
    );
  }
  if (env.AUTH_MODE === 'none' && !isLoopback(env.HOST)) {
    throw new EnvironmentError(
      `Invalid environment variables:\n  AUTH_MODE=none: allowed only when HOST is a loopback address (HOST=${env.HOST})`,
    );
  }
  return env;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
