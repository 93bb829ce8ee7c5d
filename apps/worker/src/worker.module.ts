import { Module } from '@nestjs/common';
import { resolve } from 'node:path';
import { Environment, RunyardConfigModule } from '@runyard/config';
import { DatabaseModule } from '@runyard/persistence';
import { QueueModule } from '@runyard/queue';
import { KernelCiModule } from '@runyard/kernelci';
import { RunyardLoggingModule } from '@runyard/logging';
import { KernelProcessors } from './kernel-processors';
import { LocalRunner, RunnerRegistry, SshConnectionPool, SshRunner } from '@runyard/runners';
import { RunsRepository } from '@runyard/runs';
import { Reconciler } from './reconciler';
import { RunExecutor } from './run-executor';
import { RunProcessors } from './run-processors';

@Module({
  imports: [RunyardLoggingModule, RunyardConfigModule, DatabaseModule, QueueModule, KernelCiModule],
  providers: [
    { provide: SshConnectionPool, useFactory: () => new SshConnectionPool() },
    {
      provide: RunnerRegistry,
      inject: [Environment, SshConnectionPool],
      useFactory: (env: Environment, pool: SshConnectionPool) =>
        new RunnerRegistry().register(new LocalRunner(resolve(env.RUNYARD_DATA_DIR, 'runs'))).register(new SshRunner(pool)),
    },
    RunsRepository,
    RunExecutor,
    Reconciler,
    RunProcessors,
    KernelProcessors,
  ],
})
export class WorkerModule {}
