import { ApiProperty } from '@nestjs/swagger';
import { RUN_STATUSES } from '@runyard/persistence';
import type { Run, RunStatus } from '@runyard/persistence';

export type Dialect = 'v4' | 'v4alpha';

/** Autosubmit's three statuses; Runyard's detailed status goes beside it. */
export function autosubmitStatus(run: Run): 'ACTIVE' | 'COMPLETED' | 'TERMINATED' {
  if (run.status === 'COMPLETED') return 'COMPLETED';
  if (run.status === 'FAILED' || run.status === 'TERMINATED' || run.status === 'LOST') return 'TERMINATED';
  return 'ACTIVE';
}

/** v4 answers RUNNER_TYPE/MODULE_LOADER_TYPE as profiles write them (seed 001); v4alpha in lower case (seed 000). */
export const runnerName = (run: Pick<Run, 'runner'>, d: Dialect) => (d === 'v4' ? run.runner : run.runner.toLowerCase());
export const loaderName = (run: Pick<Run, 'moduleLoader'>, d: Dialect) => (d === 'v4' ? run.moduleLoader : run.moduleLoader.toLowerCase());
const modulesText = (run: Run) => (run.modules.length === 0 ? null : run.modules.join(' '));

/** "2026-02-04T15:59:57+00:00", the upstream timestamp format. */
export const isoSeconds = (d: Date | null) => (d ? d.toISOString().replace(/\.\d{3}Z$/, '+00:00') : null);

const text = (example: string | null) => ({ type: 'string', nullable: true, example }) as const;

/** An experiment's latest run, as the Autosubmit API answers it (both dialects). */
export class RunnerStatusView {
  @ApiProperty({ example: 'a001' })
  expid: string;
  @ApiProperty({ type: 'integer', nullable: true, example: 42 })
  runner_id: number | null;
  @ApiProperty(text('LOCAL'))
  runner: string | null;
  @ApiProperty(text('CONDA'))
  module_loader: string | null;
  @ApiProperty({ ...text('autosubmit-4.1'), description: 'space-separated' })
  modules: string | null;
  @ApiProperty({ enum: ['ACTIVE', 'COMPLETED', 'TERMINATED', 'NO_RUNNER'], example: 'ACTIVE' })
  status: 'ACTIVE' | 'COMPLETED' | 'TERMINATED' | 'NO_RUNNER';
  @ApiProperty({ type: 'integer', nullable: true, example: 48213 })
  pid: number | null;
  @ApiProperty({ ...text('2026-12-07T09:30:00+00:00'), description: 'upstream’s timestamp format' })
  created: string | null;
  @ApiProperty(text('2026-12-07T09:30:01+00:00'))
  modified: string | null;
  @ApiProperty({ enum: RUN_STATUSES, nullable: true, example: 'ACTIVE', description: 'Runyard’s own status of the run' })
  detailed_status: RunStatus | null;
  @ApiProperty({ type: 'integer', nullable: true, example: null })
  exit_code: number | null;
}

export function runnerStatus(expid: string, run: Run | null, d: Dialect): RunnerStatusView {
  if (!run) {
    return {
      expid,
      runner_id: null,
      runner: null,
      module_loader: null,
      modules: null,
      status: 'NO_RUNNER',
      pid: null,
      created: null,
      modified: null,
      detailed_status: null,
      exit_code: null,
    };
  }
  return {
    expid,
    runner_id: run.id,
    runner: runnerName(run, d),
    module_loader: loaderName(run, d),
    modules: modulesText(run),
    status: autosubmitStatus(run),
    pid: run.pid,
    created: isoSeconds(run.createdAt),
    modified: isoSeconds(run.modifiedAt),
    detailed_status: run.status,
    exit_code: run.exitCode,
  };
}

/** The error message of a short command that ended badly, with the tail of what it printed. */
export function commandFailure(run: Run, output: string): string {
  const tail = output.trim().split('\n').slice(-5).join('\n');
  return `autosubmit ${run.settings.args[0]} ended ${run.status} (${run.detail ?? 'no detail'})${tail ? `: ${tail}` : ''}`;
}
