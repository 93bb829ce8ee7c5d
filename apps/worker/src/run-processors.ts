import { Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import type { Job, Worker } from 'bullmq';
import { Environment } from '@runyard/config';
import { COMMANDS_QUEUE, QueueConnection, RUNS_QUEUE, RunJob } from '@runyard/queue';
import { SshConnectionPool } from '@runyard/runners';
import { Reconciler } from './reconciler';
import { RunExecutor } from './run-executor';

const STOP_POLL_MS = 250;

/** The BullMQ workers for both queues and the worker's periodic duties. */
@Injectable()
export class RunProcessors implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Worker');
  private workers: Worker<RunJob>[] = [];
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly connection: QueueConnection,
    private readonly executor: RunExecutor,
    private readonly reconciler: Reconciler,
    private readonly env: Environment,
    private readonly sshPool: SshConnectionPool,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Re-attach first: a restarted worker picks its host's runs up before taking new work.
    await this.reconciler.reconcile().catch((e) => this.log.error(`reconcile: ${(e as Error).message}`));
    const processor = async (job: Job<RunJob>) => {
      await this.executor.execute(job.data.runId);
      // For the dashboard, after the job is done: the slot is not held for it.
      void this.executor
        .summary(job.data.runId)
        .then((text) => job.log(text))
        .catch(() => undefined);
    };
    this.workers = [
      this.connection.createWorker(RUNS_QUEUE, processor, { concurrency: this.env.RUN_CONCURRENCY }),
      this.connection.createWorker(COMMANDS_QUEUE, processor, { concurrency: this.env.COMMAND_CONCURRENCY }),
    ];
    for (const w of this.workers) w.on('error', (e) => this.log.warn(`${w.name}: ${e.message}`));
    this.every(STOP_POLL_MS, () => this.executor.serveStopRequests());
    this.every(this.env.HEARTBEAT_MS, () => this.executor.heartbeat());
    this.every(this.env.HEARTBEAT_MS, () => this.reconciler.reconcile());
    this.log.log(
      `worker ${this.executor.workerId} consuming ${RUNS_QUEUE} (×${this.env.RUN_CONCURRENCY}) and ${COMMANDS_QUEUE} (×${this.env.COMMAND_CONCURRENCY})`,
    );
  }

  private every(ms: number, fn: () => Promise<void>): void {
    let busy = false;
    this.timers.push(
      setInterval(() => {
        if (busy) return;
        busy = true;
        fn()
          .catch((e) => this.log.warn((e as Error).message))
          .finally(() => (busy = false));
      }, ms),
    );
  }

  /** Takes no new jobs, lets short commands finish, leaves long runs running for the next worker. */
  async beforeApplicationShutdown(): Promise<void> {
    this.timers.forEach(clearInterval);
    const [runs, commands] = this.workers;
    await Promise.allSettled([runs?.close(true), commands?.close()]);
    await this.executor.release();
    this.sshPool.closeAll();
  }
}
