import 'reflect-metadata';
import { startWorker } from '@runyard/engine';

void startWorker().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
