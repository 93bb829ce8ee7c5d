import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QueueConnection } from '@runyard/queue';

export const KERNEL_QUEUE = 'runyard-kernel';

/** Jobs of the kernel queue: the payload names the row; the row holds the rest. */
export type KernelJob =
  { type: 'submit-build'; id: number } | { type: 'submit-test'; id: number } | { type: 'results'; id: number } | { type: 'kcidb-sync' };

export const SUBMIT_ATTEMPTS = 5;

@Injectable()
export class KernelQueue implements OnApplicationShutdown {
  readonly queue: Queue<KernelJob>;

  constructor(connection: QueueConnection) {
    this.queue = connection.createQueue<KernelJob>(KERNEL_QUEUE);
  }

  /** Job ids derived from the row: enqueueing the same step twice is one job. */
  add(job: KernelJob): Promise<unknown> {
    const jobId = job.type === 'kcidb-sync' ? undefined : `${job.type}-${job.id}`;
    const retries = job.type === 'kcidb-sync' ? 1 : SUBMIT_ATTEMPTS;
    return this.queue.add(job.type, job, { jobId, attempts: retries, backoff: { type: 'exponential', delay: 1000 } });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}
