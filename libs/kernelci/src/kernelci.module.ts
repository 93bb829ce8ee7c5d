import { Global, Module } from '@nestjs/common';
import { Environment } from '@runyard/config';
import { CallbackKeyCache, KcidbClient, TuxSuiteClient } from '@runyard/tuxsuite';
import { KernelQueue } from './kernel-queue';
import { KernelRunnerRegistry } from './kernel-runner-registry';
import { KernelService } from './kernel.service';
import { KCIDB_CLIENT, KernelWorkService } from './kernel-work.service';
import { TUXSUITE_KEYS, TuxSuiteCallbacksService } from './tuxsuite-callbacks.service';
import { TuxSuiteKernelRunner } from './tuxsuite.kernel-runner';

const TUXSUITE_CLIENT = Symbol('TUXSUITE_CLIENT');

/** Kernel builds and tests on runner services, for both the API and the worker. */
@Global()
@Module({
  providers: [
    {
      provide: TUXSUITE_CLIENT,
      inject: [Environment],
      useFactory: (env: Environment) =>
        env.TUXSUITE_TOKEN && env.TUXSUITE_GROUP && env.TUXSUITE_PROJECT
          ? new TuxSuiteClient({
              baseUrl: env.TUXSUITE_URL,
              token: env.TUXSUITE_TOKEN,
              group: env.TUXSUITE_GROUP,
              project: env.TUXSUITE_PROJECT,
            })
          : null,
    },
    {
      provide: KernelRunnerRegistry,
      inject: [TUXSUITE_CLIENT, Environment],
      // One line per runner service.
      useFactory: (tuxsuite: TuxSuiteClient | null, env: Environment) =>
        new KernelRunnerRegistry().register(new TuxSuiteKernelRunner(tuxsuite, env.KCIDB_ORIGIN)),
    },
    {
      provide: TUXSUITE_KEYS,
      inject: [Environment, TUXSUITE_CLIENT],
      // The configured key line, else the project's published key, cached and refetched once when a signature fails.
      useFactory: (env: Environment, client: TuxSuiteClient | null) =>
        new CallbackKeyCache({
          staticKeys: env.TUXSUITE_PUBLIC_KEY ? [env.TUXSUITE_PUBLIC_KEY] : [],
          fetchKey: client && !env.TUXSUITE_PUBLIC_KEY ? () => client.getKeys() : undefined,
          minRefetchIntervalMs: env.TUXSUITE_KEY_REFETCH_MIN_MS,
        }),
    },
    {
      provide: KCIDB_CLIENT,
      inject: [Environment],
      useFactory: (env: Environment) => (env.KCIDB_URL ? new KcidbClient({ url: env.KCIDB_URL, token: env.KCIDB_TOKEN ?? '' }) : null),
    },
    KernelQueue,
    KernelService,
    TuxSuiteCallbacksService,
    KernelWorkService,
  ],
  exports: [KernelQueue, KernelService, TuxSuiteCallbacksService, KernelWorkService],
})
export class KernelCiModule {}
