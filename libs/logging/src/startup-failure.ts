import { ConfigFileError, EnvironmentError } from '@runyard/config';
import { rootLogger } from './runyard-logger';

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
}

const oneLine = (text: string) => text.trim().replace(/:?\s*\n\s*/g, (m) => (m.startsWith(':') ? ': ' : '; '));

/** Where the database is, without its password. */
function database(): string {
  const given = process.env.DATABASE_URL;
  if (!given) return 'the embedded PostgreSQL';
  try {
    const url = new URL(given);
    return `PostgreSQL at ${url.host} (DATABASE_URL)`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

/** Why Runyard could not start, in one line that names what to change. */
export function describeStartupFailure(e: unknown): string {
  if (e instanceof EnvironmentError) return oneLine(e.message);
  if (e instanceof ConfigFileError) return `configuration file ${e.file}: ${e.key}: ${e.reason} (fix the file, or set RUNYARD_CONFIG)`;
  const err = (e instanceof Error ? e : new Error(String(e))) as SystemError;
  if (err.syscall === 'listen') {
    const where = `${err.address ?? process.env.HOST ?? ''}:${err.port ?? process.env.PORT ?? ''}`;
    if (err.code === 'EADDRINUSE') return `port ${err.port} is in use (${where}): set PORT to a free port, or stop what listens there`;
    if (err.code === 'EACCES') return `not allowed to listen on ${where}: set PORT to 1024 or above`;
    if (err.code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: no such address on this machine: set HOST`;
  }
  const unreachable = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET'];
  if (err.code && unreachable.includes(err.code) && (err.syscall === 'connect' || err.syscall === 'getaddrinfo')) {
    const fix = process.env.DATABASE_URL ? 'start it, or fix DATABASE_URL' : `see its log in RUNYARD_DATA_DIR/postgres.log`;
    return `cannot reach ${database()} (${err.code}): ${fix}`;
  }
  // PostgreSQL's own refusals (SQLSTATE): a login, a database.
  if (err.code?.startsWith('28')) return `${database()} refused the login: ${err.message}: fix the user or password in DATABASE_URL`;
  if (err.code === '3D000') return `${database()}: ${err.message}: create it, or fix DATABASE_URL`;
  return `start-up failed: ${oneLine(err.message)}`;
}

/** The end of a failed start: the cause (with its stack) at debug, one fatal line naming the fix, exit code 1. */
export function exitOnStartupFailure(e: unknown): never {
  rootLogger.debug({ err: e }, 'start-up failed');
  rootLogger.fatal(describeStartupFailure(e));
  process.exit(1);
}
