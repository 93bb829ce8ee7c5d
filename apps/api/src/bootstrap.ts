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

export async function startApi(role: 'api' | 'all'): Promise<INestApplication> {
  const env: Environment = validateEnvironment(process.env);
  const app = await createApiApp(role);
  await app.listen(env.PORT, env.HOST);
  new Logger('Runyard').log(`listening on http://${env.HOST}:${env.PORT} (role ${role})`);
  return app;
}
