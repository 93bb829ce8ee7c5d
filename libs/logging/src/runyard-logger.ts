import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger, Level } from 'pino';
import { LOG_FORMATS, LOG_LEVELS, LogFormat, LogLevel } from '@runyard/config';
import { prettyStream } from './log-format';

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

const isOneOf = <T extends string>(list: readonly T[], v: string | undefined): v is T => (list as readonly string[]).includes(v ?? '');

/**
 * LOG_LEVEL as given, or `info` while it is invalid: the environment's validation then stops
 * start-up, through this logger, naming the allowed values.
 */
const level: LogLevel = isOneOf(LOG_LEVELS, process.env.LOG_LEVEL) ? process.env.LOG_LEVEL : 'info';

/** LOG_FORMAT, else lines for a person on a terminal and JSON for anything else (a file, a collector). */
export const logFormat: LogFormat = isOneOf(LOG_FORMATS, process.env.LOG_FORMAT)
  ? process.env.LOG_FORMAT
  : process.stdout.isTTY
    ? 'pretty'
    : 'json';

/** Standard output; the fatal line that ends a failed start on standard error, where a shell shows it. */
function destination(): DestinationStream {
  const [out, err] =
    logFormat === 'pretty'
      ? [prettyStream(process.stdout), prettyStream(process.stderr)]
      : [pino.destination({ fd: 1, sync: true }), pino.destination({ fd: 2, sync: true })];
  return pino.multistream(
    [
      { level: 'trace', stream: out },
      { level: 'fatal', stream: err },
    ],
    { dedupe: true },
  );
}

/** One line per event on stdout (pretty or JSON); LOG_LEVEL sets the level. */
export const rootLogger: Logger = pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination());

/**
 * Nest's own chatter (every module loaded, every route mapped, "successfully started"): at debug,
 * so the boot at info is a few lines. Its ExceptionHandler's and NestApplication's errors are
 * thrown on to start-up too, which reports them as one line: their copy (with a stack) is at debug.
 */
const NEST_BOOT = new Set([
  'NestFactory',
  'NestApplication',
  'NestApplicationContext',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
]);
const NEST_REPORTED_AGAIN = new Set(['ExceptionHandler', 'NestApplication']);

/** The request being served (its logger carries the request's fields), set by the HTTP middleware. */
export const requestLogger = new AsyncLocalStorage<{ readonly logger: Logger }>();

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
    if (!rootLogger.isLevelEnabled(level)) return;
    const logger = requestLogger.getStore()?.logger ?? rootLogger;
    const rest = [...params];
    const last = rest[rest.length - 1];
    const context = typeof last === 'string' && !last.includes('\n') ? (rest.pop() as string) : undefined;
    if (context && ((level === 'info' && NEST_BOOT.has(context)) || (level === 'error' && NEST_REPORTED_AGAIN.has(context)))) {
      level = 'debug';
      if (!logger.isLevelEnabled(level)) return;
    }
    const fields: Record<string, unknown> = context ? { context } : {};
    if (level === 'error' && typeof rest[0] === 'string') fields.stack = rest[0];
    if (message instanceof Error) logger[level]({ ...fields, err: message }, message.message);
    else if (message && typeof message === 'object') logger[level]({ ...fields, ...message });
    else logger[level](fields, String(message));
  }
}
