import 'reflect-metadata';
import { startWorker } from './src/start-worker';

void startWorker().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
