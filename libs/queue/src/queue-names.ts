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

/** BullMQ refuses integer custom ids, so the run id is prefixed. */
export const jobIdFor = (runId: number): string => `run-${runId}`;

export const queueFor = (kind: RunKind): QueueName => (isLongKind(kind) ? RUNS_QUEUE : COMMANDS_QUEUE);
