import { NestFactory } from '@nestjs/core';
import { INestApplicationContext } from '@nestjs/common';
import { RunyardLogger } from '@runyard/logging';
import { EngineModule } from './engine.module';

/** The worker role: an application context (no HTTP) consuming both queues. */
export async function startWorker(): Promise<INestApplicationContext> {
  // Ours from the first line; a failed start is thrown to the caller, who reports it in one line.
  const app = await NestFactory.createApplicationContext(EngineModule, { logger: new RunyardLogger(), abortOnError: false });
  app.enableShutdownHooks();
  return app;
}
