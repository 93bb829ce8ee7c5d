import { commandResult, hasCommandResult } from '@runyard/autosubmit';
import type { RunKind, RunStatus } from '@runyard/persistence';
import { scriptResult } from '@runyard/scripts';

/** How the result is read: lazily, so a run whose kind answers nothing reads nothing. */
export interface ResultSources {
  stdout(): Promise<string>;
  output(): Promise<string>;
  resultFile(): Promise<Buffer | null>;
}

/**
 * What a finished run answers besides its exit: a completed Autosubmit command's parsed output
 * (the new expid, the version), a script's return value and structured logs (whatever its exit).
 */
export async function runResult(kind: RunKind, status: RunStatus, read: ResultSources): Promise<Record<string, unknown> | null> {
  if (kind === 'script') return scriptResult(await read.stdout(), await read.resultFile());
  if (status === 'COMPLETED' && hasCommandResult(kind)) return commandResult(kind, await read.output());
  return null;
}
