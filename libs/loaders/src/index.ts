export * from './module-loader';
export * from './loader.error';
export * from './loader-registry';
export * from './no-module.loader';
export * from './venv.loader';
export * from './conda.loader';
export * from './lmod.loader';
