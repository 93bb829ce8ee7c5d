import type { ScheduleView } from '@runyard/schedules';

/** A schedule as the API shows it: its definition, its next fire times, its counts and its newest fires. */
export function presentSchedule({ schedule: s, nextFires, recent }: ScheduleView) {
  return {
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    expid: s.expid,
    profile_name: s.profileName,
    profile_params: s.profileParams,
    overlap: s.overlap,
    paused: s.paused,
    paused_reason: s.pausedReason,
    next_fires: nextFires.map((d) => d.toISOString()),
    fires: s.fires,
    last_fire_at: s.lastFireAt,
    last_run_id: s.lastRunId,
    skips: s.skips,
    last_skip_at: s.lastSkipAt,
    last_skip_reason: s.lastSkipReason,
    waiting_since: s.waitingSince,
    recent: recent.map((f) => ({ at: f.at, outcome: f.outcome, run_id: f.runId, detail: f.detail })),
    created_by: s.createdBy,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}
