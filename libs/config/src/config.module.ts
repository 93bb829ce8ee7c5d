import { Global, Module } from '@nestjs/common';
import { Environment, validateEnvironment } from './environment';
import { loadRunyardConfig } from './config-file.loader';
import { RunyardConfig } from './runyard-config';
import { RUNNER_SCHEMAS, RunnerProfileSchema } from './runner-profile';

export const RUNYARD_CONFIG = Symbol('RUNYARD_CONFIG');

/** Environment and YAML file, each read and validated once per process (the runners' schemas come from their catalogue). */
@Global()
@Module({
  providers: [
    { provide: Environment, useFactory: () => validateEnvironment(process.env) },
    {
      provide: RUNYARD_CONFIG,
      inject: [Environment, RUNNER_SCHEMAS],
      useFactory: (env: Environment, runners: readonly RunnerProfileSchema[]): RunyardConfig =>
        loadRunyardConfig(env.RUNYARD_CONFIG, process.env.RUNYARD_CONFIG !== undefined && process.env.RUNYARD_CONFIG !== '', runners),
    },
  ],
  exports: [Environment, RUNYARD_CONFIG],
})
export class RunyardConfigModule {}
