import 'reflect-metadata';
import { validateEnvironment } from '@runyard/config';
import { exitOnStartupFailure } from '@runyard/logging';
import { startApi } from './src/bootstrap';
import { startWorker } from '@runyard/engine';

/** Entry point for the api and all-in-one roles (RUNYARD_ROLE); the worker role has its own. */
async function main(): Promise<void> {
  const env = validateEnvironment(process.env);
  if (env.RUNYARD_ROLE === 'worker') {
    await startWorker();
    return;
  }
  await startApi(env.RUNYARD_ROLE);
}

void main().catch(exitOnStartupFailure);
