import { Injectable } from '@nestjs/common';
import { DataSource, In, Repository } from 'typeorm';
import { Schedule, ScheduleFire } from '@runyard/persistence';
import type { FireOutcome } from '@runyard/persistence';
import { returnedRows } from '@runyard/runs';

/** Fires kept per schedule: its recent history, not an archive (a run's own row is the record). */
export const FIRES_KEPT = 20;

export type NewSchedule = Pick<
  Schedule,
  'name' | 'cron' | 'timezone' | 'expid' | 'profileName' | 'profileParams' | 'overlap' | 'paused' | 'createdBy' | 'ownerTokenId'
>;

/** What one fire came to, as the history shows it. */
export interface FireRecord {
  outcome: FireOutcome;
  runId?: number | null;
  detail?: string | null;
}

/** Every statement on `schedules` and `schedule_fires`. */
@Injectable()
export class SchedulesRepository {
  private readonly schedules: Repository<Schedule>;
  private readonly fires: Repository<ScheduleFire>;

  constructor(private readonly db: DataSource) {
    this.schedules = db.getRepository(Schedule);
    this.fires = db.getRepository(ScheduleFire);
  }

  /** Refused by the primary key (a unique violation) when the name is taken. */
  async insert(schedule: NewSchedule): Promise<Schedule> {
    // `as never`: TypeORM's deep-partial type cannot take a record with an open index signature.
    await this.schedules.insert(schedule as never);
    return (await this.byName(schedule.name))!;
  }

  byName(name: string): Promise<Schedule | null> {
    return this.schedules.findOneBy({ name });
  }

  all(): Promise<Schedule[]> {
    return this.schedules.find({ order: { name: 'ASC' } });
  }

  /**
   * Pausing also drops a fire that was waiting: a paused schedule starts nothing. `reason`: why
   * Runyard paused it (null when a request did); resuming clears it and may hand it to a new owner.
   */
  async setPaused(
    name: string,
    paused: boolean,
    reason: string | null = null,
    owner?: { tokenId: string | null },
  ): Promise<Schedule | null> {
    await this.schedules
      .createQueryBuilder()
      .update()
      .set({ paused, pausedReason: reason, ...(paused ? { waitingSince: null } : {}), ...(owner ? { ownerTokenId: owner.tokenId } : {}) })
      .where('name = :name', { name })
      .execute();
    return this.byName(name);
  }

  /** Its fires go with it (ON DELETE CASCADE). */
  async delete(name: string): Promise<boolean> {
    return ((await this.schedules.delete({ name })).affected ?? 0) > 0;
  }

  /** The newest fires of each schedule, newest first. */
  async recentFires(names: string[], perSchedule: number): Promise<Map<string, ScheduleFire[]>> {
    const byName = new Map<string, ScheduleFire[]>(names.map((n) => [n, []]));
    if (names.length === 0) return byName;
    const rows = await this.fires.find({ where: { scheduleName: In(names) }, order: { id: 'DESC' } });
    for (const row of rows) {
      const list = byName.get(row.scheduleName)!;
      if (list.length < perSchedule) list.push(row);
    }
    return byName;
  }

  /** Fires and skips per schedule, for /metrics. */
  counters(): Promise<{ name: string; fires: number; skips: number }[]> {
    return this.schedules.find({ select: { name: true, fires: true, skips: true }, order: { name: 'ASC' } });
  }

  // --- what a fire records ---

  /** A run was submitted; `waitedSince`: by the waiting fire of that time, which stops waiting. */
  async recordStarted(name: string, runId: number, detail: string | null, waitedSince?: Date): Promise<void> {
    const waited = waitedSince ? ', waiting_since = CASE WHEN waiting_since = $5 THEN NULL ELSE waiting_since END' : '';
    await this.record(
      name,
      { outcome: 'started', runId, detail },
      `fires = fires + 1, last_fire_at = now(), last_run_id = $3${waited}`,
      waitedSince,
      'true',
    );
  }

  async recordSkipped(name: string, reason: string, runId: number | null): Promise<void> {
    await this.record(
      name,
      { outcome: 'skipped', runId, detail: reason },
      'skips = skips + 1, last_skip_at = now(), last_skip_reason = $4',
    );
  }

  /**
   * Keeps the fire waiting and answers since when, unless one already waits (at most one does) or
   * the schedule was paused: then null. Milliseconds, so the time compares equal once in a job.
   */
  async recordWaiting(name: string, detail: string, runId: number): Promise<Date | null> {
    const row = await this.record(
      name,
      { outcome: 'waiting', runId, detail },
      `waiting_since = date_trunc('milliseconds', now())`,
      undefined,
      'waiting_since IS NULL AND NOT paused',
    );
    return row?.waiting_since ?? null;
  }

  /** A fire that could not submit its run (profile gone, queue down, …); a waiting fire that fails stops waiting. */
  async recordFailed(name: string, detail: string, waitedSince?: Date): Promise<void> {
    await this.record(name, { outcome: 'failed', detail }, waitedSince ? 'waiting_since = NULL' : null, waitedSince);
  }

  /**
   * Updates the schedule (`set`; null: only where it matches) and adds the fire to its history in
   * one statement, keeping the newest FIRES_KEPT: the statement's DELETE sees the history as it was
   * before its INSERT, hence KEPT - 1 old ones. `waitedSince`: only while that fire is still the one
   * waiting. Parameters: $1 name, $2 outcome, $3 run id, $4 detail, $5 waitedSince. Null if no row matched.
   */
  private async record(
    name: string,
    fire: FireRecord,
    set: string | null,
    waitedSince?: Date,
    condition = waitedSince ? 'waiting_since = $5' : 'true',
  ): Promise<{ name: string; waiting_since: Date | null } | null> {
    const matched = set
      ? `UPDATE schedules SET ${set} WHERE name = $1 AND ${condition} RETURNING name, waiting_since`
      : `SELECT name, waiting_since FROM schedules WHERE name = $1 AND ${condition}`;
    const [row] = returnedRows<{ name: string; waiting_since: Date | null }>(
      await this.db.query(
        `WITH s AS (${matched}),
              f AS (INSERT INTO schedule_fires (schedule_name, outcome, run_id, detail) SELECT name, $2::varchar, $3::int, $4::text FROM s),
              trimmed AS (
                DELETE FROM schedule_fires WHERE schedule_name IN (SELECT name FROM s) AND id < (
                  SELECT id FROM schedule_fires WHERE schedule_name = $1 ORDER BY id DESC OFFSET ${FIRES_KEPT - 2} LIMIT 1))
         SELECT name, waiting_since FROM s`,
        [name, fire.outcome, fire.runId ?? null, fire.detail ?? null, ...(waitedSince ? [waitedSince] : [])],
      ),
    );
    return row ?? null;
  }
}
