export * from './embedded-postgres';
export { EmbeddedDataDirLockedError } from './data-dir-lock';
