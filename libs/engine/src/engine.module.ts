import { Logger, Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { resolve } from 'node:path';
import { AgentDispatchModule } from '@runyard/agents';
import { Environment, RunyardConfigModule } from '@runyard/config';
import { KernelCiModule } from '@runyard/kernelci';
import { RunyardLoggingModule } from '@runyard/logging';
import { DatabaseModule } from '@runyard/persistence';
import { QueueModule } from '@runyard/queue';
import { RunnerCatalogueModule, RunnerRegistry, RunnerTypes } from '@runyard/runners';
import { RunsRepository } from '@runyard/runs';
import { KernelProcessors } from './kernel-processors';
import { Reconciler } from './reconciler';
import { RunExecutor } from './run-executor';
import { RunProcessors } from './run-processors';

/** The worker: the engine's processors, its runners and its periodic duties. Imported by the worker and the all-in-one roles. */
@Module({
  imports: [
    RunyardLoggingModule,
    RunyardConfigModule,
    RunnerCatalogueModule,
    DatabaseModule,
    QueueModule,
    KernelCiModule,
    AgentDispatchModule,
  ],
  providers: [
    {
      provide: RunnerRegistry,
      inject: [RunnerTypes, Environment, ModuleRef],
      useFactory: (types: RunnerTypes, env: Environment, modules: ModuleRef) =>
        new RunnerRegistry(types, {
          dataDir: resolve(env.RUNYARD_DATA_DIR),
          get: (token) => modules.get(token as never, { strict: false }),
          log: (message) => new Logger('Runners').log(message),
        }),
    },
    RunsRepository,
    RunExecutor,
    Reconciler,
    RunProcessors,
    KernelProcessors,
  ],
})
export class EngineModule {}
