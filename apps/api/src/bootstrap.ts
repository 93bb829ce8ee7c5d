import { INestApplication, Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { RunyardLogger } from '@runyard/logging';
import { NestFactory } from '@nestjs/core';
import { Environment, validateEnvironment } from '@runyard/config';
import { DASHBOARD_PATH } from './dashboard/queue-dashboard';
import { ApiModule } from './api.module';
import { AllInOneModule } from './all-in-one.module';
import { answerUnreadableRequests } from './common/unreadable-requests';
import { validationPipe } from './common/validation';
import { PublishedDocs } from './docs/api-docs.middleware';
import { openApiDocument } from './docs/openapi';

/** Creates the HTTP application for the api or all role; tests use it as the real server. */
export async function createApiApp(role: 'api' | 'all', opts: { logger?: false } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(role === 'all' ? AllInOneModule : ApiModule, {
    // Ours from the first line (pino's level decides), and a failed start thrown to the caller, who reports it in one line.
    logger: opts.logger === false ? false : new RunyardLogger(),
    abortOnError: false,
    bodyParser: false,
  });
  app.disable('x-powered-by');
  answerUnreadableRequests(app.getHttpServer());
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

/** Where a person goes next: the last lines of a start. */
function announce(log: Logger, env: Environment, role: 'api' | 'all'): void {
  const url = `http://${env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${env.PORT}`;
  log.log(`listening on ${url} (role ${role})`);
  log.log(`API docs:  ${url}/docs`);
  log.log(`web UI:    ${url}/ui/`);
  log.log(`dashboard: ${url}${DASHBOARD_PATH} (admin)`);
}

export async function startApi(role: 'api' | 'all'): Promise<INestApplication> {
  const env: Environment = validateEnvironment(process.env);
  Logger.overrideLogger(new RunyardLogger()); // before Nest's application exists too
  const log = new Logger('Runyard');
  log.log(
    `starting (role ${role}; database: ${env.DATABASE_URL ? 'DATABASE_URL' : `embedded PostgreSQL in ${env.RUNYARD_DATA_DIR}`}; queue: ${env.REDIS_URL ? 'Redis' : 'PostgreSQL'})`,
  );
  keepServing(log);
  const app = await createApiApp(role);
  await app.listen(env.PORT, env.HOST);
  announce(log, env, role);
  return app;
}
