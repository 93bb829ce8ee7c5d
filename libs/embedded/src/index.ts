export * from './embedded-postgres';
export { EmbeddedDataDirLockedError, LOCK_FILE } from './data-dir-lock';
export { CONNECTION_FILE } from './connection-file';
export { SERVER_USER } from './server-account';
