export * from './queue-names';
export * from './connection-problems';
export * from './queue-connection';
export * from './run-queues';
export * from './queue-timeout';
export * from './queue.module';
