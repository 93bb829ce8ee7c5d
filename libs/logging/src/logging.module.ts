import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { pinoHttp } from 'pino-http';
import { isRoutineRequest } from './routine-requests';
import { requestLogger, rootLogger, RunyardLogger } from './runyard-logger';

/** A request line per HTTP request, with its id (taken from X-Request-Id or made up, and sent back). */
const httpLogger = pinoHttp({
  logger: rootLogger,
  genReqId: (req: IncomingMessage, res: ServerResponse) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', id);
    return id;
  },
  // Health probes every few seconds would drown the rest.
  autoLogging: { ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health') },
  customLogLevel: (req, res, err) => (!err && res.statusCode < 400 && isRoutineRequest(req) ? 'debug' : 'info'),
});

/**
 * Logs (pino; lines for a person on a terminal, JSON otherwise) for API and worker: Nest's own
 * messages through RunyardLogger, and in the API one line per request; secrets redacted. LOG_LEVEL
 * sets the level.
 */
@Global()
@Module({ providers: [RunyardLogger], exports: [RunyardLogger] })
export class RunyardLoggingModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply((req: IncomingMessage & { log: typeof rootLogger }, res: ServerResponse, next: () => void) =>
        httpLogger(req, res, () => requestLogger.run(req.log, next)),
      )
      .forRoutes('/'); // mounted on "/" (no route parameters): a path that does not decode still gets its id and log line
  }
}
