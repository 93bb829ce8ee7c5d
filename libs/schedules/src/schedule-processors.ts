import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, Job, Worker } from 'bullmq';
import { ConnectionProblems, QueueConnection } from '@runyard/queue';
import { ScheduleFires } from './schedule-fires.service';
import { ScheduleOwners } from './schedule-owners';
import { SCHEDULES_QUEUE, ScheduleJob } from './schedule-queue';
import { SchedulesService } from './schedules.service';

/** Fires are short (a submission each): a few at once are plenty. */
const FIRE_CONCURRENCY = 4;
/** How often the job schedulers are checked against the rows, so a Redis that lost them is repaired while running too. */
const RESTORE_EVERY_MS = 30_000;

/**
 * The schedules queue's worker, in the API processes: a fire is a submission like a request,
 * never an execution. Restores the job schedulers from the rows before taking fires.
 */
@Injectable()
export class ScheduleProcessors implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Schedules');
  private readonly problems = new ConnectionProblems(this.log);
  private worker?: Worker<ScheduleJob>;
  private timer?: NodeJS.Timeout;
  private restoring = false;
  private closing = false;

  constructor(
    private readonly connection: QueueConnection,
    private readonly schedules: SchedulesService,
    private readonly fires: ScheduleFires,
    private readonly owners: ScheduleOwners,
  ) {}

  /** Not awaited: the queue waits for its Redis, and an API started while Redis is away must still serve. */
  onApplicationBootstrap(): void {
    void this.start();
  }

  private async start(): Promise<void> {
    await this.restore();
    if (this.closing) return;
    this.worker = this.connection.createWorker<ScheduleJob>(SCHEDULES_QUEUE, (job, token) => this.process(job, token), {
      concurrency: FIRE_CONCURRENCY,
    });
    this.timer = setInterval(() => void this.restore(), RESTORE_EVERY_MS);
  }

  private async process(job: Job<ScheduleJob>, token?: string): Promise<void> {
    const data = job.data;
    if (data.type === 'fire') return this.fires.fire(data.schedule);
    const again = await this.fires.retryWaiting(data.schedule, data.since);
    if (again !== null) {
      // Still running: the same job looks again later.
      await job.moveToDelayed(Date.now() + again, token);
      throw new DelayedError();
    }
  }

  private async restore(): Promise<void> {
    if (this.restoring) return;
    this.restoring = true;
    try {
      // Owners first: a schedule whose owner was revoked meanwhile is paused, and its job scheduler goes.
      await this.owners.sweep();
      const changed = await this.schedules.restore();
      if (changed.length > 0) this.log.log(`job schedulers restored from the schedules: ${changed.join(', ')}`);
      this.problems.recovered('schedules restore');
    } catch (e) {
      this.problems.report('schedules restore', e as Error);
    } finally {
      this.restoring = false;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    await this.worker?.close();
  }
}
