import { ApiProperty } from '@nestjs/swagger';
import { RUN_KINDS, RUN_STATUSES } from '@runyard/persistence';
import type { Run, RunKind, RunStatus } from '@runyard/persistence';
import type { RunnerTypes } from '@runyard/runners';

const WHEN = '2026-12-07T09:30:00.000Z';

/** A run as the native API shows it: everything but the internals (settings, offsets); its target as its runner describes it. */
export class RunView {
  @ApiProperty({ type: 'integer', example: 42 })
  id: number;
  @ApiProperty({ enum: RUN_KINDS, example: 'run' })
  kind: RunKind;
  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'a001',
    description: 'the Autosubmit experiment (none for scripts and sessions)',
  })
  expid: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'LOCAL_CONDA' })
  profile: string | null;
  @ApiProperty({ example: 'LOCAL' })
  runner: string;
  @ApiProperty({ example: 'CONDA' })
  module_loader: string;
  @ApiProperty({ type: [String], example: ['autosubmit-4.1'] })
  modules: string[];
  @ApiProperty({ type: [String], example: ['autosubmit', 'run', 'a001'], description: 'the command, one element per argument' })
  argv: string[];
  @ApiProperty({ enum: RUN_STATUSES, example: 'FAILED' })
  status: RunStatus;
  @ApiProperty({ type: 'string', nullable: true, example: 'exit code 3', description: 'why it is in its status' })
  detail: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 3 })
  exit_code: number | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 48213 })
  pid: number | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'worker-1' })
  host: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'where the run went, as its runner describes it (SSH: host, port, user)',
    example: null,
  })
  target: Record<string, unknown> | null;
  @ApiProperty({ type: 'string', nullable: true, example: '/var/lib/runyard/runs/42' })
  run_dir: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'what the run returned (a script: return_data)',
    example: null,
  })
  result: Record<string, unknown> | null;
  @ApiProperty({ example: 'alice' })
  requested_by: string;
  @ApiProperty({ type: 'integer', nullable: true, example: null, description: 'the Runner SDK session whose executor the run is' })
  session_id: number | null;
  @ApiProperty({ type: 'integer', example: 1, description: 'the attempt under way or the last one (RETRY)' })
  attempts: number;
  @ApiProperty({ type: 'string', nullable: true, example: null, description: 'why the previous attempt failed' })
  last_error: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null, description: 'when the attempt times out (TIMEOUT)' })
  deadline_at: Date | null;
  @ApiProperty({ type: 'integer', example: 5120 })
  log_bytes: number;
  @ApiProperty({ type: 'integer', example: 0, description: 'output dropped beyond the stored limit' })
  log_truncated_bytes: number;
  @ApiProperty({ type: String, format: 'date-time', example: WHEN })
  created_at: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-12-07T09:30:01.000Z' })
  started_at: Date | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-12-07T09:34:12.000Z' })
  finished_at: Date | null;
  @ApiProperty({ type: String, format: 'date-time', example: '2026-12-07T09:34:12.000Z' })
  modified_at: Date;
}

export function presentRun(run: Run, runners: RunnerTypes): RunView {
  const describe = runners.has(run.runner) ? runners.definition(run.runner).describeTarget : undefined;
  return {
    id: run.id,
    kind: run.kind,
    expid: run.expid,
    profile: run.profileName,
    runner: run.runner,
    module_loader: run.moduleLoader,
    modules: run.modules,
    argv: run.argv,
    status: run.status,
    detail: run.detail,
    exit_code: run.exitCode,
    pid: run.pid,
    host: run.host,
    target: run.settings.target && describe ? describe(run.settings.target) : null,
    run_dir: run.runDir,
    result: run.result,
    requested_by: run.requestedBy,
    session_id: run.kind === 'session' ? Number(run.settings.env?.RUNYARD_SESSION) || null : null,
    attempts: run.attempts,
    last_error: run.lastError,
    deadline_at: run.deadlineAt,
    log_bytes: run.logBytes,
    log_truncated_bytes: run.logTruncatedBytes,
    created_at: run.createdAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    modified_at: run.modifiedAt,
  };
}

/** A page of runs, newest first. */
export class RunPage {
  @ApiProperty({ type: [RunView] })
  runs: RunView[];
  @ApiProperty({ type: 'integer', nullable: true, example: 17, description: 'pass it as before for the next page; null on the last' })
  next_before: number | null;
  @ApiProperty({ type: 'integer', example: 120, description: 'how many runs match the filters' })
  total: number;
}
