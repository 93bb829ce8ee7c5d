import { Injectable, Logger } from '@nestjs/common';
import { runCommand } from '@runyard/autosubmit';
import { Environment } from '@runyard/config';
import type { OverlapPolicy, Schedule, ScheduleFire } from '@runyard/persistence';
import { asBadInput, BadInputError, ConflictError, isUniqueViolation, NotFoundError, RunsService, UnavailableError } from '@runyard/runs';
import { ScheduleQueue } from './schedule-queue';
import {
  DEFAULT_TIMEZONE,
  ensureCron,
  ensureMinInterval,
  ensureScheduleName,
  ensureTimezone,
  nextFires,
  ScheduleInputError,
} from './schedule-rules';
import { SchedulesRepository } from './schedules.repository';

export interface ScheduleRequest {
  name: string;
  cron: string;
  timezone?: string;
  expid: string;
  profileName: string;
  profileParams?: Record<string, unknown>;
  overlap?: OverlapPolicy;
}

/** Who asks: the name runs and the history show, and the API token the schedule's fires act for (none without tokens). */
export interface ScheduleOwner {
  name: string;
  tokenId: string | null;
}

/** A schedule as answered: the row, its next fire times and its newest fires. */
export interface ScheduleView {
  schedule: Schedule;
  nextFires: Date[];
  recent: ScheduleFire[];
}

const NEXT_FIRES = 3;
const RECENT_FIRES = 10;

const checked = <T>(fn: () => T): T => {
  try {
    return fn();
  } catch (e) {
    throw e instanceof ScheduleInputError ? new BadInputError(e.message) : e;
  }
};

/**
 * Schedules as the API manages them. The row is written first and is the truth: a fire checks it
 * (a paused or deleted schedule fires nothing, whatever the queue still holds), and `restore`
 * rebuilds the queue's job schedulers from the rows (at start, and periodically: a lost Redis loses
 * no schedule).
 */
@Injectable()
export class SchedulesService {
  private readonly log = new Logger('Schedules');

  constructor(
    private readonly repo: SchedulesRepository,
    private readonly queue: ScheduleQueue,
    private readonly runs: RunsService,
    private readonly env: Environment,
  ) {}

  /** Checked as a run request would be (expid, profile and its params), so that a fire is not the first to fail. */
  async create(req: ScheduleRequest, owner: ScheduleOwner): Promise<ScheduleView> {
    const { name, timezone, cron } = checked(() => {
      const timezone = ensureTimezone(req.timezone ?? DEFAULT_TIMEZONE);
      const name = ensureScheduleName(req.name);
      const cron = ensureCron(req.cron, timezone);
      ensureMinInterval(cron, timezone, this.env.SCHEDULE_MIN_INTERVAL_S);
      return { name, timezone, cron };
    });
    asBadInput(() => runCommand(req.expid));
    await this.runs.profile(req.profileName, req.profileParams);
    let schedule: Schedule;
    try {
      schedule = await this.repo.insert({
        name,
        cron,
        timezone,
        expid: req.expid,
        profileName: req.profileName,
        profileParams: req.profileParams ?? null,
        overlap: req.overlap ?? 'skip',
        paused: false,
        createdBy: owner.name,
        ownerTokenId: owner.tokenId,
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError(`schedule ${name} already exists`);
      throw e;
    }
    try {
      await this.queue.start(schedule);
    } catch (e) {
      // Answered 503: it must not fire later behind the client's back.
      await this.repo.delete(name);
      throw new UnavailableError(`schedule ${name} was not created: the queue is unavailable: ${(e as Error).message}`);
    }
    return this.view(schedule);
  }

  async list(): Promise<ScheduleView[]> {
    const schedules = await this.repo.all();
    const recent = await this.repo.recentFires(
      schedules.map((s) => s.name),
      RECENT_FIRES,
    );
    return schedules.map((s) => this.viewOf(s, recent.get(s.name) ?? []));
  }

  async get(name: string): Promise<ScheduleView> {
    return this.view(await this.existing(name));
  }

  /** The row decides at once; the job scheduler goes too (if the queue is down, the next restore removes it). */
  async pause(name: string): Promise<ScheduleView> {
    const schedule = (await this.repo.setPaused(name, true)) ?? this.missing(name);
    await this.queue
      .stop(name)
      .catch((e: Error) => this.log.warn(`schedule ${name} paused; its job scheduler stays until the queue is back: ${e.message}`));
    return this.view(schedule);
  }

  /** The resumer becomes its owner: its fires act for that token from now on. */
  async resume(name: string, owner: ScheduleOwner): Promise<ScheduleView> {
    const before = await this.existing(name);
    if (!before.paused) return this.get(name);
    const schedule = (await this.repo.setPaused(name, false, null, owner)) ?? this.missing(name);
    try {
      await this.queue.start(schedule);
    } catch (e) {
      await this.repo.setPaused(name, true, before.pausedReason, { tokenId: before.ownerTokenId });
      throw new UnavailableError(`schedule ${name} was not resumed: the queue is unavailable: ${(e as Error).message}`);
    }
    return this.view(schedule);
  }

  async delete(name: string): Promise<void> {
    if (!(await this.repo.delete(name))) this.missing(name);
    await this.queue
      .stop(name)
      .catch((e: Error) => this.log.warn(`schedule ${name} deleted; its job scheduler stays until the queue is back: ${e.message}`));
  }

  /** Makes the queue's job schedulers (and waiting fires) what the rows say; answers what it changed. */
  async restore(): Promise<string[]> {
    // The queue first: a schedule created meanwhile is then in the rows, never taken for an orphan.
    const held = await this.queue.schedulers();
    const schedules = await this.repo.all();
    const changed: string[] = [];
    for (const s of schedules) {
      const scheduler = held.get(s.name);
      held.delete(s.name);
      if (s.paused) {
        if (scheduler) await this.queue.stop(s.name).then(() => changed.push(`${s.name} paused`));
        continue;
      }
      if (scheduler?.cron !== s.cron || scheduler?.timezone !== s.timezone) {
        await this.queue.start(s).then(() => changed.push(`${s.name} scheduled`));
      }
      // Adding a waiting fire again is the same job (its id comes from the row).
      if (s.waitingSince) await this.queue.wait(s.name, s.waitingSince, 0);
    }
    for (const orphan of held.keys()) await this.queue.stop(orphan).then(() => changed.push(`${orphan} removed`));
    return changed;
  }

  private async view(schedule: Schedule): Promise<ScheduleView> {
    const recent = await this.repo.recentFires([schedule.name], RECENT_FIRES);
    return this.viewOf(schedule, recent.get(schedule.name) ?? []);
  }

  private viewOf(schedule: Schedule, recent: ScheduleFire[]): ScheduleView {
    return { schedule, nextFires: schedule.paused ? [] : nextFires(schedule.cron, schedule.timezone, NEXT_FIRES), recent };
  }

  private async existing(name: string): Promise<Schedule> {
    return (await this.repo.byName(name)) ?? this.missing(name);
  }

  private missing(name: string): never {
    throw new NotFoundError(`schedule ${name} does not exist`);
  }
}
