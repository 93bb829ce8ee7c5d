import { Logger } from '@nestjs/common';
import type { Run, RunStatus } from '@runyard/persistence';

type Described = Pick<Run, 'id' | 'kind' | 'attempts'> & Partial<Pick<Run, 'expid' | 'profileName'>>;

const log = new Logger('Runs');

/** 3.2 s, 4 min 12 s, 2 h 5 min. */
export function durationText(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const what = (run: Described) => `${run.kind}${run.expid ? ` ${run.expid}` : ''}${run.profileName ? `, profile ${run.profileName}` : ''}`;
const attempt = (run: Described) => (run.attempts > 1 ? ` (attempt ${run.attempts})` : '');

/**
 * A line at info for each step of a run's life, written where the step is recorded (the API queues,
 * the engine starts and finishes, whatever the runner): the operator's account of what happened.
 */
export const runLifecycle = {
  queued(run: Described & Pick<Run, 'requestedBy'>): void {
    log.log(`run ${run.id} queued: ${what(run)}, by ${run.requestedBy}`);
  },

  started(run: Described, where: { host: string; pid: number }): void {
    log.log(`run ${run.id} started on ${where.host}, pid ${where.pid}: ${what(run)}${attempt(run)}`);
  },

  /** Another attempt is queued after this one failed. */
  retried(run: Described, detail: string): void {
    log.log(`run ${run.id} will be tried again: ${detail}`);
  },

  finished(
    run: Described & Partial<Pick<Run, 'startedAt'>>,
    end: { status: RunStatus; exitCode: number | null; detail: string | null },
    now = Date.now(),
  ): void {
    const took = run.startedAt ? `after ${durationText(now - new Date(run.startedAt).getTime())}` : 'never started';
    // A completed run's detail only repeats its exit code.
    const detail = end.detail && end.detail !== `exit code ${end.exitCode}` ? `; ${end.detail}` : '';
    log.log(`run ${run.id} finished ${end.status}, exit code ${end.exitCode ?? '-'}, ${took}: ${what(run)}${detail}`);
  },
};
