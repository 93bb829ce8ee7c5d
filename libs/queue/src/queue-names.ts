import { isLongKind, RunKind } from '@runyard/persistence';

/** Long runs and short commands have separate queues, so a worker busy with runs still serves stop and set-status. */
export const RUNS_QUEUE = 'runyard-runs';
export const COMMANDS_QUEUE = 'runyard-commands';
export const QUEUE_NAMES = [RUNS_QUEUE, COMMANDS_QUEUE] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** The payload: the run id (the row in Postgres holds everything else), and what the dashboard shows beside it. */
export interface RunJob {
  runId: number;
  expid?: string | null;
  kind?: string;
}

/**
 * The job id of a run's attempt: unique per database, so a database recreated under a Redis that kept
 * its jobs never sees a new run refused as a duplicate of an old one (BullMQ refuses integer custom ids
 * too); a retry is a job of its own.
 */
export const jobIdFor = (instance: string, runId: number, attempt = 1): string =>
  `run-${instance.slice(0, 8)}-${runId}${attempt > 1 ? `-a${attempt}` : ''}`;

/** What the dashboard lists: the command and its experiment (`run a001`, `setstatus a001`, `version`). */
export const jobNameFor = (run: { kind: RunKind; expid: string | null }): string => (run.expid ? `${run.kind} ${run.expid}` : run.kind);

export const queueFor = (kind: RunKind): QueueName => (isLongKind(kind) ? RUNS_QUEUE : COMMANDS_QUEUE);
