import type { Run, RunStatus } from '@runyard/persistence';
import type { ExitInfo } from '@runyard/runners';

/** Whether this worker carried out the stop a STOPPING run asked for ('unknown' after a re-attach). */
export type StopState = 'acted' | 'not-acted' | 'unknown';

export interface Outcome {
  status: RunStatus;
  detail: string;
  exitCode: number | null;
}

/**
 * How a run ended, from its row and its process's exit. TERMINATED only when a stop was carried out
 * (or may have been), FAILED when that stop was its timeout's: a stop that never reached the process
 * leaves the run its own outcome, and the detail says the stop came too late.
 */
export function outcomeOf(row: Pick<Run, 'status' | 'detail' | 'stopReason'>, exit: ExitInfo | null, stop: StopState): Outcome {
  const how =
    exit?.reason ??
    (exit === null
      ? 'the process vanished without recording an exit status'
      : exit.signal
        ? `killed by ${exit.signal}`
        : `exit code ${exit.code}${exit.code === 127 ? ' (command not found)' : ''}`);
  const exitCode = exit?.code ?? null;
  if (row.status === 'STOPPING' && stop !== 'not-acted') {
    // Stopped for its TIMEOUT, a run failed; stopped on request, it was terminated.
    const status: RunStatus = row.stopReason === 'timeout' ? 'FAILED' : 'TERMINATED';
    return { status, detail: `${row.detail ?? 'stopped'}; ${how}`, exitCode };
  }
  const status: RunStatus = exit === null || exit.lost ? 'LOST' : exit.code === 0 ? 'COMPLETED' : 'FAILED';
  const late = row.status === 'STOPPING' ? `; a stop (${row.detail ?? 'requested'}) could not be carried out before the run ended` : '';
  return { status, detail: `${how}${late}`, exitCode };
}
