import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { Level, Logger } from 'pino';
import { isRoutineRequest } from './routine-requests';
import { rootLogger } from './runyard-logger';

/** The request and response as pino's standard serializers write them (`req.headers.authorization` redacted). */
const httpLogger = rootLogger.child(
  {},
  {
    serializers: { req: pino.stdSerializers.req, res: pino.stdSerializers.res, err: pino.stdSerializers.err },
  },
);

type Request = IncomingMessage & { id?: string };

/**
 * One request's logger: lines logged while serving it carry the request's fields. It is made on the
 * first line, since most requests log none at the running level (routine ones are at debug) and
 * serializing a request costs more than the rest of the line.
 */
export class RequestContext {
  private made?: Logger;

  constructor(private readonly req: Request) {}

  get logger(): Logger {
    return (this.made ??= httpLogger.child({ req: this.req }));
  }
}

/** X-Request-Id as given when it is a plain token, else a new one; sent back on the response. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/** Routine requests answered without error are at debug, so the log at info tells what happened. */
const levelOf = (req: IncomingMessage, res: ServerResponse, err?: Error): Level =>
  !err && res.statusCode < 400 && isRoutineRequest(req) ? 'debug' : 'info';

/**
 * A request line when the response ends (`request completed`, `request aborted` when the client left
 * first, `request errored` with the error for a 5xx), with its id and time; health probes every few
 * seconds would drown the rest, so they have none. `serve` runs the rest of the request in its context.
 */
export function logRequest(req: Request, res: ServerResponse, serve: (context: RequestContext) => void): void {
  req.id = requestId(req, res);
  const context = new RequestContext(req);
  if (!(req.url ?? '').startsWith('/health')) {
    const started = Date.now();
    const ended = (err?: Error) => {
      res.off('close', ended);
      res.off('error', ended);
      const failed = err ?? (res.statusCode >= 500 ? new Error(`failed with status code ${res.statusCode}`) : undefined);
      const level = levelOf(req, res, err);
      if (!httpLogger.isLevelEnabled(level)) return;
      const fields = { res, responseTime: Date.now() - started, ...(failed ? { err: failed } : {}) };
      const message = failed ? 'request errored' : !req.readableAborted && res.writableEnded ? 'request completed' : 'request aborted';
      context.logger[level](fields, message);
    };
    res.on('close', ended);
    res.on('error', ended);
  }
  serve(context);
}
