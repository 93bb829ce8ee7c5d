export * from './runner';
export * from './local.runner';
export * from './runner-registry';
