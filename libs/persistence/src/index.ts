export * from './run-status';
export * from './run.entity';
export * from './run-output.entity';
export * from './profile.entity';
export * from './kernel.entities';
export * from './auth.entities';
export * from './data-source-options';
export * from './database.module';
