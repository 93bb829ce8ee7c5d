import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, LoggerService } from '@nestjs/common';
import pino, { Logger, Level } from 'pino';

/** What never reaches a log line: tokens, signatures, cookies, private keys. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-tux-payload-signature"]',
  'res.headers["set-cookie"]',
  '*.token',
  '*.privateKey',
  '*.password',
];

/** One JSON line per event on stdout; LOG_LEVEL sets the level. */
export const rootLogger: Logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
});

/** The logger of the request being served (it carries the request id), set by the HTTP middleware. */
export const requestLogger = new AsyncLocalStorage<Logger>();

/**
 * Nest's logger on pino: `Logger.log('…')` in a class with a context becomes
 * `{"level":30,"context":"Database","msg":"…"}`, with the request's fields inside a request.
 */
@Injectable()
export class RunyardLogger implements LoggerService {
  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes the context last; `error` may pass a stack trace before it. */
  private write(level: Level, message: unknown, params: unknown[]): void {
    const logger = requestLogger.getStore() ?? rootLogger;
    if (!logger.isLevelEnabled(level)) return;
    const rest = [...params];
    const last = rest[rest.length - 1];
    const context = typeof last === 'string' && !last.includes('\n') ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (level === 'error' && typeof rest[0] === 'string') fields.stack = rest[0];
    if (message instanceof Error) logger[level]({ ...fields, err: message }, message.message);
    else if (message && typeof message === 'object') logger[level]({ ...fields, ...message });
    else logger[level](fields, String(message));
  }
}
