export * from './queue-names';
export { DelayedError, UnrecoverableError } from './bullmq-classes';
export * from './connection-problems';
export * from './queue-connection';
export * from './run-queues';
export * from './queue-timeout';
export * from './queue.module';
