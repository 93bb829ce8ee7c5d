import { Injectable, Logger } from '@nestjs/common';
import { runCommand } from '@runyard/autosubmit';
import type { Run, Schedule } from '@runyard/persistence';
import { asBadInput, ConflictError, RunsRepository, RunsService } from '@runyard/runs';
import { ScheduleOwners } from './schedule-owners';
import { ScheduleQueue } from './schedule-queue';
import { SchedulesRepository } from './schedules.repository';

/** A waiting fire looks again often at first, then less often the longer the run it waits for lasts. */
const WAIT_POLL_MIN_MS = 250;
const WAIT_POLL_MAX_MS = 5_000;
export const waitPollMs = (waitedMs: number): number => Math.min(WAIT_POLL_MAX_MS, Math.max(WAIT_POLL_MIN_MS, waitedMs / 10));

export const scheduleRequester = (schedule: Pick<Schedule, 'name'>): string => `schedule ${schedule.name}`;

/**
 * What a fire does: submit a run of the experiment through the same use case as POST /api/v1/runs,
 * and when the experiment still has an unfinished run, what the schedule's `overlap` says — skip
 * (recorded), or wait for it to end (one waiting fire at most; fires meanwhile are skipped).
 */
@Injectable()
export class ScheduleFires {
  private readonly log = new Logger('Schedules');

  constructor(
    private readonly schedules: SchedulesRepository,
    private readonly queue: ScheduleQueue,
    private readonly runs: RunsService,
    private readonly runRows: RunsRepository,
    private readonly owners: ScheduleOwners,
  ) {}

  async fire(name: string): Promise<void> {
    const schedule = await this.schedules.byName(name);
    // Deleted or paused after BullMQ made this fire, or its owner may not run any more.
    if (!schedule || schedule.paused || (await this.owners.pausedForOwner(schedule))) return;
    if (schedule.waitingSince) {
      const since = schedule.waitingSince.toISOString();
      return this.schedules.recordSkipped(
        name,
        `an earlier fire (${since}) is already waiting for experiment ${schedule.expid}'s run to end`,
        null,
      );
    }
    const current = await this.runRows.unfinishedRunOf(schedule.expid);
    if (current) return this.overlap(schedule, current.id);
    try {
      const run = await this.submit(schedule);
      await this.schedules.recordStarted(name, run.id, null);
    } catch (e) {
      if (e instanceof ConflictError) return this.overlap(schedule, (e.extra.run_id as number | null) ?? null);
      await this.failed(schedule, e);
    }
  }

  /**
   * A waiting fire's turn: starts the run once the experiment has none unfinished. Answers when to
   * look again, or null when done (started, failed, or withdrawn by a pause or a delete).
   */
  async retryWaiting(name: string, since: number): Promise<number | null> {
    const schedule = await this.schedules.byName(name);
    if (!schedule || schedule.paused || schedule.waitingSince?.getTime() !== since) return null;
    if (await this.owners.pausedForOwner(schedule)) return null;
    const waitedMs = Date.now() - since;
    if (await this.runRows.unfinishedRunOf(schedule.expid)) return waitPollMs(waitedMs);
    try {
      const run = await this.submit(schedule);
      await this.schedules.recordStarted(
        name,
        run.id,
        `waited ${(waitedMs / 1000).toFixed(1)} s for the previous run to end`,
        schedule.waitingSince,
      );
    } catch (e) {
      if (e instanceof ConflictError) return waitPollMs(waitedMs);
      await this.failed(schedule, e, schedule.waitingSince);
    }
    return null;
  }

  private async overlap(schedule: Schedule, runId: number | null): Promise<void> {
    const why = `experiment ${schedule.expid} is still running${runId ? ` (run ${runId})` : ''}`;
    if (schedule.overlap === 'queue' && runId !== null) {
      const since = await this.schedules.recordWaiting(schedule.name, `${why}: this fire waits for it to end`, runId);
      if (since) return this.queue.wait(schedule.name, since, WAIT_POLL_MIN_MS);
      return this.schedules.recordSkipped(schedule.name, `${why} and a fire is already waiting for it`, runId);
    }
    return this.schedules.recordSkipped(schedule.name, why, runId);
  }

  private submit(schedule: Schedule): Promise<Run> {
    return this.runs.profile(schedule.profileName, schedule.profileParams ?? undefined).then((profile) =>
      this.runs.submit({
        kind: 'run',
        expid: schedule.expid,
        command: asBadInput(() => runCommand(schedule.expid)),
        profile,
        requestedBy: scheduleRequester(schedule),
      }),
    );
  }

  /** A fire that could not submit (its profile gone, the queue down, …) is kept in the history with the reason. */
  private async failed(schedule: Schedule, e: unknown, waitedSince?: Date): Promise<void> {
    const reason = (e as Error).message;
    this.log.warn(`schedule ${schedule.name}: no run of ${schedule.expid}: ${reason}`);
    await this.schedules.recordFailed(schedule.name, reason, waitedSince);
  }
}
