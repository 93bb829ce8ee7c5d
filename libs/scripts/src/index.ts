export * from './script-helpers';
export * from './script-run';
export * from './script-result';
