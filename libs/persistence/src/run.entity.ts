import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { RetryPolicy, RunLimit } from '@runyard/config';
import type { LoaderType } from '@runyard/loaders';
import type { RunKind, RunStatus } from './run-status';

/** Where and how a run executes, fixed when it is accepted (the worker reads nothing else). */
export interface RunSettings {
  /** RUNNER_TYPE. */
  runner: string;
  loader: LoaderType;
  modules: string[];
  /** The program the loader runs (a script's interpreter); unset: the profile's Autosubmit. */
  program?: string;
  /** Its arguments (for Autosubmit: what follows the executable). */
  args: string[];
  /** Environment variables the process gets besides the host's own (a script's input, a session's credentials). */
  env?: Record<string, string>;
  /** Files written into the run directory before the process starts there (a script's code). */
  files?: RunFile[];
  /** Where the runner sends the run (an SSH host …), in the runner's own shape. */
  target?: unknown;
  autosubmitExecutable?: string;
  condaExecutable?: string;
  lmodInit?: string;
  safeRootPath?: string;
  stopConfirmOnStdin?: boolean;
  /** How long the run may wait for its runner to take it (an agent with its tags, a free slot) before it fails; unset: forever. */
  queueTimeoutMs?: number;
  /** Wall-clock limit of one attempt; unset: none. */
  timeoutMs?: number;
  /** When a failed attempt is tried again. */
  retry?: RetryPolicy;
  /** Concurrency limits the run counts against (its profile's, its host's); keyed like `runs.limit_keys`. */
  limits?: RunLimit[];
  /** Names of the worker's environment variables passed to the command as secrets (values never stored). */
  secrets?: string[];
  /** Text written to the process's stdin (Autosubmit < 4.1.16 stop confirmation). */
  stdin?: string;
  /** The profile's RUN_AS: the account the run's processes get on its host (else one of their own). */
  runAs?: string;
}

/** A file a run needs beside its command; `name` is a plain file name in the run directory. */
export interface RunFile {
  name: string;
  /** The content, base64. */
  content: string;
  executable?: boolean;
}

const bigintAsNumber = { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

@Entity({ name: 'runs' })
export class Run {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 32 })
  kind: RunKind;

  @Column({ type: 'varchar', length: 64, nullable: true })
  expid: string | null;

  @Column({ type: 'varchar', name: 'profile_name', length: 128, nullable: true })
  profileName: string | null;

  @Column({ type: 'varchar', length: 16 })
  runner: string;

  @Column({ type: 'varchar', name: 'module_loader', length: 16 })
  moduleLoader: string;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  modules: string[];

  /** The exact argv (argv[0] = program) the runner executes. */
  @Column({ type: 'jsonb' })
  argv: string[];

  @Column({ type: 'jsonb' })
  settings: RunSettings;

  @Column({ type: 'varchar', length: 16 })
  status: RunStatus;

  /** Why the run is in its status, in words (launch error, signal, who stopped it). */
  @Column({ type: 'text', nullable: true })
  detail: string | null;

  @Column({ type: 'int', nullable: true })
  pid: number | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  host: string | null;

  /** Where the runner keeps the run's pid, output and exit status (on `host`). */
  @Column({ type: 'varchar', name: 'run_dir', length: 1024, nullable: true })
  runDir: string | null;

  @Column({ type: 'varchar', name: 'worker_id', length: 255, nullable: true })
  workerId: string | null;

  @Column({ type: 'int', name: 'exit_code', nullable: true })
  exitCode: number | null;

  /** A command's answer (the new expid, the Autosubmit version). */
  @Column({ type: 'jsonb', nullable: true })
  result: Record<string, unknown> | null;

  @Column({ type: 'varchar', name: 'requested_by', length: 255 })
  requestedBy: string;

  @Column({ type: 'boolean', name: 'stop_force', default: false })
  stopForce: boolean;

  @Column({ type: 'bigint', name: 'log_bytes', default: 0, transformer: bigintAsNumber })
  logBytes: number;

  @Column({ type: 'bigint', name: 'log_truncated_bytes', default: 0, transformer: bigintAsNumber })
  logTruncatedBytes: number;

  /** How far each output file has been read: the worker that re-attaches resumes from here. */
  @Column({ type: 'jsonb', name: 'output_offsets', default: () => `'{"stdout":0,"stderr":0}'` })
  outputOffsets: { stdout: number; stderr: number };

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'modified_at' })
  modifiedAt: Date;

  @Column({ type: 'timestamptz', name: 'started_at', nullable: true })
  startedAt: Date | null;

  @Column({ type: 'timestamptz', name: 'finished_at', nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'timestamptz', name: 'heartbeat_at', nullable: true })
  heartbeatAt: Date | null;

  @Column({ type: 'timestamptz', name: 'stop_requested_at', nullable: true })
  stopRequestedAt: Date | null;

  /** The attempt under way or the last one made (retries). */
  @Column({ type: 'int', default: 1 })
  attempts: number;

  /** Why the previous attempt failed, for a retried run. */
  @Column({ type: 'text', name: 'last_error', nullable: true })
  lastError: string | null;

  /** The attempt's wall-clock deadline (TIMEOUT), kept in the row so any worker enforces it. */
  @Column({ type: 'timestamptz', name: 'deadline_at', nullable: true })
  deadlineAt: Date | null;

  /** Past this, a run still queued fails (QUEUE_TIMEOUT). */
  @Column({ type: 'timestamptz', name: 'queue_deadline_at', nullable: true })
  queueDeadlineAt: Date | null;

  /** A retry waits until then. */
  @Column({ type: 'timestamptz', name: 'not_before', nullable: true })
  notBefore: Date | null;

  /** Why a STOPPING run is being stopped: `request` or `timeout`. */
  @Column({ type: 'varchar', name: 'stop_reason', length: 16, nullable: true })
  stopReason: 'request' | 'timeout' | null;

  /** The concurrency limits it counts against: set once its claim passed them, counted while it is held. */
  @Column({ type: 'text', name: 'limit_keys', array: true, default: () => "'{}'" })
  limitKeys: string[];
}
