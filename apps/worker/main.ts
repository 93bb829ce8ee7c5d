import 'reflect-metadata';
import './pg-without-fetch';
import './nest-without-icu';
import './typeorm-postgres-only';
import { validateEnvironment } from '@runyard/config';
import { startWorker } from '@runyard/engine';
import { exitOnStartupFailure } from '@runyard/logging';

/**
 * Start-up leaves ~10 MiB of garbage (modules loading, migrations, Nest's scan) that V8 returns only when its
 * memory reducer finds the process idle, 8 s or more later. Two full collections once the worker consumes
 * return most of it at once (the second frees the pages the first emptied); `gc` is there with --expose-gc
 * (npm run start:worker), else nothing is done.
 */
function collectStartUpGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

void Promise.resolve()
  .then(() => validateEnvironment(process.env))
  .then(startWorker)
  .then(collectStartUpGarbage)
  .catch(exitOnStartupFailure);
