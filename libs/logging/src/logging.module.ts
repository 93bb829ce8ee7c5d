import type { IncomingMessage, ServerResponse } from 'node:http';
import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { logRequest } from './request-log';
import { requestLogger, RunyardLogger } from './runyard-logger';

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
      .apply((req: IncomingMessage, res: ServerResponse, next: () => void) =>
        logRequest(req, res, (context) => requestLogger.run(context, next)),
      )
      .forRoutes('/'); // mounted on "/" (no route parameters): a path that does not decode still gets its id and log line
  }
}
