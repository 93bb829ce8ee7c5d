import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Worker } from 'bullmq';
import { Environment } from '@runyard/config';
import { KERNEL_QUEUE, KernelJob, KernelWorkService } from '@runyard/kernelci';
import { QueueConnection } from '@runyard/queue';

/** The kernel queue's worker (submissions, results, KCIDB) and the periodic KCIDB retry. */
@Injectable()
export class KernelProcessors implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('KernelCI');
  private worker?: Worker<KernelJob>;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly connection: QueueConnection,
    private readonly work: KernelWorkService,
    private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = this.connection.createWorker<KernelJob>(KERNEL_QUEUE, (job) => this.process(job), { concurrency: 4 });
    if (this.env.KCIDB_URL) {
      this.retry = setInterval(
        () => void this.work.syncKcidb().catch((e: Error) => this.log.warn(`KCIDB retry: ${e.message}`)),
        this.env.KCIDB_RETRY_MS,
      );
    }
  }

  private async process(job: Job<KernelJob>): Promise<void> {
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const data = job.data;
    switch (data.type) {
      case 'submit-build':
        return this.work.submitBuild(data.id, lastAttempt);
      case 'submit-test':
        return this.work.submitTest(data.id, lastAttempt);
      case 'results':
        return this.work.storeResults(data.id);
      case 'kcidb-sync':
        return this.work.syncKcidb();
      default:
        return unknownJob(data);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.retry);
    await this.worker?.close();
  }
}

/** Every kernel job type is handled above; a new one that is not fails to compile here. */
function unknownJob(job: never): never {
  throw new Error(`unknown kernel job ${JSON.stringify(job)}`);
}
