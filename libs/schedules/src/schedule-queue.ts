import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Schedule } from '@runyard/persistence';
import { QueueConnection } from '@runyard/queue';

export const SCHEDULES_QUEUE = 'runyard-schedules';

/** A fire made by a schedule's job scheduler, or a fire waiting for the experiment's run to end (overlap=queue). */
export type ScheduleJob = { type: 'fire'; schedule: string } | { type: 'waiting'; schedule: string; since: number };

/**
 * The schedules' side of the queue: one BullMQ job scheduler per active schedule (id = its name),
 * which keeps the next fire as a delayed job, on Redis or on BullMQ's PostgreSQL backend alike.
 */
@Injectable()
export class ScheduleQueue implements OnApplicationShutdown {
  readonly queue: Queue<ScheduleJob>;

  constructor(connection: QueueConnection) {
    this.queue = connection.createQueue<ScheduleJob>(SCHEDULES_QUEUE);
  }

  /** Creates the job scheduler, or replaces one with another cron or time zone. */
  async start(s: Pick<Schedule, 'name' | 'cron' | 'timezone'>): Promise<void> {
    await this.queue.upsertJobScheduler(
      s.name,
      { pattern: s.cron, tz: s.timezone },
      { name: `schedule ${s.name}`, data: { type: 'fire', schedule: s.name } },
    );
  }

  async stop(name: string): Promise<void> {
    await this.queue.removeJobScheduler(name);
  }

  /** The job schedulers the queue holds: id → cron and time zone. */
  async schedulers(): Promise<Map<string, { cron?: string; timezone?: string }>> {
    const all = await this.queue.getJobSchedulers(0, -1);
    return new Map(all.map((j) => [j.key, { cron: j.pattern, timezone: j.tz }]));
  }

  /** The waiting fire's job; its id is derived from it, so adding it again (at start) is the same job. */
  async wait(name: string, since: Date, delayMs: number): Promise<void> {
    await this.queue.add(
      `waiting ${name}`,
      { type: 'waiting', schedule: name, since: since.getTime() },
      { jobId: `waiting-${name}-${since.getTime()}`, delay: delayMs, removeOnComplete: true, removeOnFail: true },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}
