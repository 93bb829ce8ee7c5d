import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** What a fire does when the experiment still has an unfinished run. */
export const OVERLAP_POLICIES = ['skip', 'queue'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** What one fire came to: a run, a skip, a fire left waiting for the current run, or a run that could not be submitted. */
export const FIRE_OUTCOMES = ['started', 'skipped', 'waiting', 'failed'] as const;
export type FireOutcome = (typeof FIRE_OUTCOMES)[number];

/** A cron schedule of an experiment's runs. The row is the truth; the queue's job scheduler is rebuilt from it. */
@Entity({ name: 'schedules' })
export class Schedule {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'varchar', length: 128 })
  cron: string;

  /** An IANA time zone; the cron's hours are its wall-clock hours. */
  @Column({ type: 'varchar', length: 64 })
  timezone: string;

  @Column({ type: 'varchar', length: 64 })
  expid: string;

  @Column({ type: 'varchar', name: 'profile_name', length: 128 })
  profileName: string;

  @Column({ type: 'jsonb', name: 'profile_params', nullable: true })
  profileParams: Record<string, unknown> | null;

  @Column({ type: 'varchar', length: 8 })
  overlap: OverlapPolicy;

  @Column({ type: 'boolean', default: false })
  paused: boolean;

  /** Why Runyard paused it (its owner's token revoked, …); null when paused by a request or active. */
  @Column({ type: 'text', name: 'paused_reason', nullable: true })
  pausedReason: string | null;

  @Column({ type: 'int', default: 0 })
  fires: number;

  @Column({ type: 'int', default: 0 })
  skips: number;

  @Column({ type: 'timestamptz', name: 'last_fire_at', nullable: true })
  lastFireAt: Date | null;

  @Column({ type: 'int', name: 'last_run_id', nullable: true })
  lastRunId: number | null;

  @Column({ type: 'timestamptz', name: 'last_skip_at', nullable: true })
  lastSkipAt: Date | null;

  @Column({ type: 'text', name: 'last_skip_reason', nullable: true })
  lastSkipReason: string | null;

  /** overlap=queue: the fire waiting for the experiment's current run to end (at most one). */
  @Column({ type: 'timestamptz', name: 'waiting_since', nullable: true })
  waitingSince: Date | null;

  @Column({ type: 'varchar', name: 'created_by', length: 255 })
  createdBy: string;

  /** The API token whose identity its fires carry (its creator's, or its last resumer's); null without tokens (AUTH_MODE=none). */
  @Column({ type: 'varchar', name: 'owner_token_id', length: 16, nullable: true })
  ownerTokenId: string | null;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt: Date;
}

/** One fire of a schedule, kept for its recent history (the newest few per schedule). */
@Entity({ name: 'schedule_fires' })
export class ScheduleFire {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', name: 'schedule_name', length: 64 })
  scheduleName: string;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'varchar', length: 16 })
  outcome: FireOutcome;

  @Column({ type: 'int', name: 'run_id', nullable: true })
  runId: number | null;

  @Column({ type: 'text', nullable: true })
  detail: string | null;
}
