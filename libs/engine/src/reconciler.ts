import { Injectable, Logger } from '@nestjs/common';
import { Environment } from '@runyard/config';
import { RunQueues } from '@runyard/queue';
import { RunnerRegistry } from '@runyard/runners';
import { runLifecycle, RunsRepository } from '@runyard/runs';
import { RunExecutor } from './run-executor';

/**
 * Makes sure no run stays unfinished forever: takes over held runs nobody follows, marks host-bound
 * runs on hosts whose workers stopped answering LOST, and re-enqueues queued runs whose job was lost
 * with Redis.
 */
@Injectable()
export class Reconciler {
  private readonly log = new Logger('Reconciler');

  constructor(
    private readonly repo: RunsRepository,
    private readonly executor: RunExecutor,
    private readonly queues: RunQueues,
    private readonly runners: RunnerRegistry,
    private readonly env: Environment,
  ) {}

  async reconcile(): Promise<void> {
    await this.adoptOrphans();
    await this.markLost();
    await this.failOverdue();
    await this.requeueLostJobs();
  }

  /** Host-bound runs only on their host; the others (state on a remote host) by any worker. */
  private async adoptOrphans(): Promise<void> {
    const { workerId, host } = this.executor;
    const runs = await this.repo.adoptOrphans(
      workerId,
      host,
      this.runners.types.hostBound(),
      this.env.LOST_AFTER_MS / 1000,
      this.executor.holding(),
    );
    for (const run of runs) {
      await this.executor.adopt(run).catch((e: Error) => this.log.error(`re-attaching run ${run.id}: ${e.message}`));
    }
  }

  /** Another host's worker that stopped answering for three times LOST_AFTER_MS is not coming back for its runs. */
  private async markLost(): Promise<void> {
    const staleSecs = (3 * this.env.LOST_AFTER_MS) / 1000;
    const { lost, retried } = await this.repo.markSilentHostsLost(this.executor.host, this.runners.types.hostBound(), staleSecs);
    if (lost.length > 0) this.log.warn(`runs marked LOST: ${lost.join(', ')}`);
    if (retried.length > 0) this.log.warn(`runs lost with their host, to be tried again: ${retried.join(', ')}`);
  }

  /** QUEUE_TIMEOUT: a run that never found a slot fails, and its job is dropped. */
  private async failOverdue(): Promise<void> {
    for (const run of await this.repo.failOverdueQueued()) {
      runLifecycle.finished({ ...run, startedAt: null }, run);
      await this.queues.withdraw(run).catch(() => undefined);
    }
  }

  /** Postgres is the truth and Redis may be lost: a queued run without a job (or a retry whose wait is over) gets its job. */
  private async requeueLostJobs(): Promise<void> {
    for (const run of await this.repo.queuedSince(this.env.REQUEUE_AFTER_MS / 1000, 500)) {
      if (!(await this.queues.hasJob(run))) {
        this.log.warn(`run ${run.id} had no job in the queue: enqueued again`);
        await this.queues.enqueue(run);
      }
    }
  }
}
