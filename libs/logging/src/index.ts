export * from './logging.module';
export { REDACTED_PATHS, RunyardLogger } from './runyard-logger';
