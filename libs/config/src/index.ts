export * from './environment';
export * from './config-reader';
export * from './runner-profile';
export * from './runyard-config';
export * from './config-file.loader';
export * from './demo-config';
export * from './profile-params';
export * from './config.module';
