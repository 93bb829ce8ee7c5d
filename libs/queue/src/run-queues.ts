import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { Environment } from '@runyard/config';
import type { Run } from '@runyard/persistence';
import { QueueConnection } from './queue-connection';
import { COMMANDS_QUEUE, jobIdFor, jobNameFor, QueueName, queueFor, RUNS_QUEUE, RunJob } from './queue-names';
import { answerWithin } from './queue-timeout';

/** The queue did not take a job within ENQUEUE_TIMEOUT_MS. */
export class EnqueueTimeoutError extends Error {}

/** The producer side: what the API (and the reconciler) use to hand a run to the workers. */
@Injectable()
export class RunQueues implements OnApplicationShutdown {
  readonly queues: Record<QueueName, Queue<RunJob>>;
  private instance?: Promise<string>;

  constructor(
    connection: QueueConnection,
    private readonly db: DataSource,
    private readonly env: Environment,
  ) {
    this.queues = {
      [RUNS_QUEUE]: connection.createQueue(RUNS_QUEUE),
      [COMMANDS_QUEUE]: connection.createQueue(COMMANDS_QUEUE),
    };
  }

  /** Adds the job of the run's attempt (after `delayMs`), waiting at most ENQUEUE_TIMEOUT_MS for the queue to take it. */
  async enqueue(run: Pick<Run, 'id' | 'kind' | 'expid' | 'attempts'>, delayMs = 0): Promise<void> {
    const jobId = await this.jobId(run);
    const data = { runId: run.id, expid: run.expid, kind: run.kind };
    const added = this.queues[queueFor(run.kind)].add(jobNameFor(run), data, { jobId, delay: Math.max(0, delayMs) });
    const ms = this.env.ENQUEUE_TIMEOUT_MS;
    await answerWithin(added, ms, () => new EnqueueTimeoutError(`the queue did not answer within ${ms} ms`));
  }

  /** Drops a run's job if a worker has not taken it yet. */
  async withdraw(run: Pick<Run, 'id' | 'kind' | 'attempts'>): Promise<void> {
    const job = await this.queues[queueFor(run.kind)].getJob(await this.jobId(run));
    if (job && ((await job.isWaiting()) || (await job.isDelayed()))) await job.remove().catch(() => undefined);
  }

  /**
   * Whether the run's attempt has a job a worker will still take. A finished one (failed when its worker
   * lost the database while claiming the run, which is still QUEUED) is removed: its id would keep the
   * run from getting a new job, and the run would wait forever.
   */
  async hasLiveJob(run: Pick<Run, 'id' | 'kind' | 'attempts'>): Promise<boolean> {
    const job = await this.queues[queueFor(run.kind)].getJob(await this.jobId(run));
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'failed' && state !== 'completed') return true;
    await job.remove();
    return false;
  }

  async ping(): Promise<void> {
    await this.queues[RUNS_QUEUE].getJobCounts('waiting');
  }

  private async jobId(run: Pick<Run, 'id' | 'attempts'>): Promise<string> {
    this.instance ??= this.db.query(`SELECT id FROM runyard_instance LIMIT 1`).then(([row]: { id: string }[]) => row.id.replace(/-/g, ''));
    this.instance.catch(() => (this.instance = undefined));
    return jobIdFor(await this.instance, run.id, run.attempts);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(Object.values(this.queues).map((q) => q.close()));
  }
}
