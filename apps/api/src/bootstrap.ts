import { INestApplication, Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { RunyardLogger } from '@runyard/logging';
import { NestFactory } from '@nestjs/core';
import { Environment, validateEnvironment } from '@runyard/config';
import { ApiModule } from './api.module';
import { AllInOneModule } from './all-in-one.module';
import { validationPipe } from './common/validation';
import { PublishedDocs } from './docs/api-docs.middleware';
import { openApiDocument } from './docs/openapi';

/** Creates the HTTP application for the api or all role; tests use it as the real server. */
export async function createApiApp(role: 'api' | 'all', opts: { logger?: false } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(role === 'all' ? AllInOneModule : ApiModule, {
    logger: opts.logger === false ? false : ['log', 'warn', 'error'],
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(RunyardLogger));
  app.disable('x-powered-by');
  // Bodies are read in the request pipeline (ApiModule), after the request id, log line and audit.
  app.useGlobalPipes(validationPipe);
  app.get(PublishedDocs).publish(openApiDocument(app));
  app.enableShutdownHooks();
  return app;
}

/**
 * The last resort: an error that escaped every handler (a library's callback, a stream's event) is
 * logged, and the process goes on serving the other requests instead of exiting.
 */
function keepServing(log: Logger): void {
  const describe = (e: unknown) => (e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.on('uncaughtException', (e) => log.error(`uncaught exception, still serving: ${describe(e)}`));
  process.on('unhandledRejection', (e) => log.error(`unhandled rejection, still serving: ${describe(e)}`));
}

export async function startApi(role: 'api' | 'all'): Promise<INestApplication> {
  const env: Environment = validateEnvironment(process.env);
  const log = new Logger('Runyard');
  keepServing(log);
  const app = await createApiApp(role);
  await app.listen(env.PORT, env.HOST);
  log.log(`listening on http://${env.HOST}:${env.PORT} (role ${role})`);
  return app;
}
