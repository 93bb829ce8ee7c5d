export * from './environment';
export * from './runyard-config';
export * from './config-file.loader';
export * from './demo-config';
export * from './profile-params';
export * from './config.module';
