/** A run's lifecycle: QUEUED → STARTING → ACTIVE → (STOPPING →) COMPLETED | FAILED | TERMINATED | LOST. */
export const RUN_STATUSES = ['QUEUED', 'STARTING', 'ACTIVE', 'STOPPING', 'COMPLETED', 'FAILED', 'TERMINATED', 'LOST'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A worker holds the run: it has been claimed and its process may be alive. */
export const HELD_STATUSES: readonly RunStatus[] = ['STARTING', 'ACTIVE', 'STOPPING'];
export const UNFINISHED_STATUSES: readonly RunStatus[] = ['QUEUED', ...HELD_STATUSES];
export const FINAL_STATUSES: readonly RunStatus[] = ['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'];

export const isFinal = (s: RunStatus): boolean => FINAL_STATUSES.includes(s);

/** What a run executes: the experiment itself, one of the short Autosubmit commands, a script (Automn's kind of run), or a Runner SDK session's executor. */
export const RUN_KINDS = [
  'run',
  'setstatus',
  'create-experiment',
  'update-description',
  'create-job-list',
  'version',
  'script',
  'session',
] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** Runs held by a worker for as long as the process lives; everything else is a short command. */
export const isLongKind = (k: RunKind): boolean => k === 'run' || k === 'script' || k === 'session';

/** The channel announcing `run <id>` whenever a run's status changes (a trigger on `runs`). */
export const RUNS_CHANNEL = 'runyard_runs';
