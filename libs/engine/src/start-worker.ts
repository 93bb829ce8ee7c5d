import { NestFactory } from '@nestjs/core';
import { INestApplicationContext } from '@nestjs/common';
import { RunyardLogger } from '@runyard/logging';
import { EngineModule } from './engine.module';

/** The worker role: an application context (no HTTP) consuming both queues. */
export async function startWorker(): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(EngineModule, { bufferLogs: true });
  app.useLogger(app.get(RunyardLogger));
  app.enableShutdownHooks();
  return app;
}
