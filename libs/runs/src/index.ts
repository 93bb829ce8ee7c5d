export * from './errors';
export * from './runs.repository';
export * from './runs.service';
export * from './profiles.service';
export * from './runs.module';
export * from './lifecycle-log';
export * from './run-wakeups';
