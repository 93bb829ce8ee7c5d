import { NestFactory } from '@nestjs/core';
import { INestApplicationContext } from '@nestjs/common';
import { WorkerModule } from './worker.module';

/** The worker role: an application context (no HTTP) consuming both queues. */
export async function startWorker(): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['log', 'warn', 'error'] });
  app.enableShutdownHooks();
  return app;
}
