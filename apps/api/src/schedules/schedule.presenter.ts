import { ApiProperty } from '@nestjs/swagger';
import { FIRE_OUTCOMES, OVERLAP_POLICIES } from '@runyard/persistence';
import type { FireOutcome, OverlapPolicy } from '@runyard/persistence';
import type { ScheduleView } from '@runyard/schedules';

const TIME = { type: String, format: 'date-time' } as const;

export class FireView {
  @ApiProperty({ ...TIME, example: '2026-12-07T06:00:00.000Z' })
  at: Date;
  @ApiProperty({ enum: FIRE_OUTCOMES, example: 'started' })
  outcome: FireOutcome;
  @ApiProperty({ type: 'integer', nullable: true, example: 42 })
  run_id: number | null;
  @ApiProperty({ type: 'string', nullable: true, example: null })
  detail: string | null;
}

/** A schedule as the API shows it: its definition, its next fire times, its counts and its newest fires. */
export class ScheduleDocument {
  @ApiProperty({ example: 'nightly-a001' })
  name: string;
  @ApiProperty({ example: '0 6 * * *' })
  cron: string;
  @ApiProperty({ example: 'Europe/Madrid' })
  timezone: string;
  @ApiProperty({ example: 'a001' })
  expid: string;
  @ApiProperty({ example: 'LOCAL_CONDA' })
  profile_name: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null })
  profile_params: Record<string, unknown> | null;
  @ApiProperty({ enum: OVERLAP_POLICIES, example: 'skip' })
  overlap: OverlapPolicy;
  @ApiProperty({ example: false })
  paused: boolean;
  @ApiProperty({
    type: 'string',
    nullable: true,
    example: null,
    description: "why Runyard paused it (its owner's token revoked, …); null when a request did",
  })
  paused_reason: string | null;
  @ApiProperty({ type: [String], example: ['2026-12-08T05:00:00.000Z'], description: 'the next 3 fire times (none while paused)' })
  next_fires: string[];
  @ApiProperty({ type: 'integer', example: 12, description: 'runs it started' })
  fires: number;
  @ApiProperty({ ...TIME, nullable: true, example: '2026-12-07T05:00:00.000Z' })
  last_fire_at: Date | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 42 })
  last_run_id: number | null;
  @ApiProperty({ type: 'integer', example: 1, description: 'fires skipped because the experiment was still running' })
  skips: number;
  @ApiProperty({ ...TIME, nullable: true, example: '2026-12-03T05:00:00.000Z' })
  last_skip_at: Date | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'run 37 of a001 is still ACTIVE' })
  last_skip_reason: string | null;
  @ApiProperty({ ...TIME, nullable: true, example: null, description: 'overlap=queue: the fire waiting for the current run to end' })
  waiting_since: Date | null;
  @ApiProperty({ type: [FireView], description: 'its newest fires, newest first' })
  recent: FireView[];
  @ApiProperty({ example: 'alice' })
  created_by: string;
  @ApiProperty({ ...TIME, example: '2026-11-20T10:00:00.000Z' })
  created_at: Date;
  @ApiProperty({ ...TIME, example: '2026-11-20T10:00:00.000Z' })
  updated_at: Date;
}

export class ScheduleList {
  @ApiProperty({ type: [ScheduleDocument] })
  schedules: ScheduleDocument[];
}

export function presentSchedule({ schedule: s, nextFires, recent }: ScheduleView): ScheduleDocument {
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
