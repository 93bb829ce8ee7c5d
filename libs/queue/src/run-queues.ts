import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Run } from '@runyard/persistence';
import { QueueConnection } from './queue-connection';
import { COMMANDS_QUEUE, jobIdFor, QueueName, queueFor, RUNS_QUEUE, RunJob } from './queue-names';

/** The producer side: what the API (and the reconciler) use to hand a run to the workers. */
@Injectable()
export class RunQueues implements OnApplicationShutdown {
  readonly queues: Record<QueueName, Queue<RunJob>>;

  constructor(connection: QueueConnection) {
    this.queues = {
      [RUNS_QUEUE]: connection.createQueue(RUNS_QUEUE),
      [COMMANDS_QUEUE]: connection.createQueue(COMMANDS_QUEUE),
    };
  }

  async enqueue(run: Pick<Run, 'id' | 'kind' | 'expid'>): Promise<void> {
    await this.queues[queueFor(run.kind)].add(run.kind, { runId: run.id, expid: run.expid, kind: run.kind }, { jobId: jobIdFor(run.id) });
  }

  /** Drops a run's job if a worker has not taken it yet. */
  async withdraw(run: Pick<Run, 'id' | 'kind'>): Promise<void> {
    const job = await this.queues[queueFor(run.kind)].getJob(jobIdFor(run.id));
    if (job && (await job.isWaiting())) await job.remove().catch(() => undefined);
  }

  async hasJob(run: Pick<Run, 'id' | 'kind'>): Promise<boolean> {
    return (await this.queues[queueFor(run.kind)].getJob(jobIdFor(run.id))) !== undefined;
  }

  async ping(): Promise<void> {
    await this.queues[RUNS_QUEUE].getJobCounts('waiting');
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(Object.values(this.queues).map((q) => q.close()));
  }
}
