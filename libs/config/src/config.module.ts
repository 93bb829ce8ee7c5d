import { Global, Logger, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Environment, validateEnvironment } from './environment';
import { loadRunyardConfig } from './config-file.loader';
import { withDemoStandIn } from './demo-stand-in';
import { RunyardConfig } from './runyard-config';
import { RUNNER_SCHEMAS, RunnerProfileSchema } from './runner-profile';

export const RUNYARD_CONFIG = Symbol('RUNYARD_CONFIG');

/** The key under which ConfigService holds the validated Environment. */
const ENVIRONMENT = 'environment';

/**
 * The environment through @nestjs/config, validated once at start with Environment's rules (an error
 * names every bad variable). No .env file, as before. The answer is an object under one key: Nest's
 * ConfigModule copies a validated answer's plain values into process.env, which would turn every
 * default into a variable "set by the user" (an explicit RUNYARD_CONFIG must exist, the default need not).
 */
const environmentModule = ConfigModule.forRoot({
  ignoreEnvFile: true,
  validate: (raw) => ({ [ENVIRONMENT]: validateEnvironment(raw as Record<string, string | undefined>) }),
});
// Evaluated when this file loads; a rejection is Nest's to report when it builds the application.
environmentModule.catch(() => undefined);

/** Environment and YAML file, each read and validated once per process (the runners' schemas come from their catalogue). */
@Global()
@Module({
  imports: [environmentModule],
  providers: [
    { provide: Environment, inject: [ConfigService], useFactory: (config: ConfigService) => config.getOrThrow<Environment>(ENVIRONMENT) },
    {
      provide: RUNYARD_CONFIG,
      inject: [Environment, RUNNER_SCHEMAS],
      useFactory: (env: Environment, runners: readonly RunnerProfileSchema[]): RunyardConfig => {
        const explicit = process.env.RUNYARD_CONFIG !== undefined && process.env.RUNYARD_CONFIG !== '';
        const config = loadRunyardConfig(env.RUNYARD_CONFIG, explicit, runners);
        if (config.file !== null) return config;
        const demo = withDemoStandIn(config);
        new Logger('Config').log(demo.note);
        return demo.config;
      },
    },
  ],
  exports: [Environment, RUNYARD_CONFIG],
})
export class RunyardConfigModule {}
