export * from './logging.module';
export { logFormat, REDACTED_PATHS, rootLogger, RunyardLogger } from './runyard-logger';
export { formatLine } from './log-format';
export { isRoutineRequest } from './routine-requests';
export { describeStartupFailure, exitOnStartupFailure } from './startup-failure';
