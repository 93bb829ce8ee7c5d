import 'reflect-metadata';
import './pg-without-fetch';
import './nest-without-icu';
import { validateEnvironment } from '@runyard/config';
import { startWorker } from '@runyard/engine';
import { exitOnStartupFailure } from '@runyard/logging';

void Promise.resolve()
  .then(() => validateEnvironment(process.env))
  .then(startWorker)
  .catch(exitOnStartupFailure);
