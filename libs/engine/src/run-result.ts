import { commandResult, hasCommandResult } from '@runyard/autosubmit';
import type { RunKind, RunStatus } from '@runyard/persistence';
import { scriptResult } from '@runyard/scripts';
import type { OutputMasker } from '@runyard/auth';

/** How the result is read: lazily, so a run whose kind answers nothing reads nothing. */
export interface ResultSources {
  stdout(): Promise<string>;
  output(): Promise<string>;
  resultFile(): Promise<Buffer | null>;
}

/**
 * What a finished run answers besides its exit: a completed Autosubmit command's parsed output
 * (the new expid, the version), a script's return value and structured logs (whatever its exit).
 * Masked as its output is: a secret or token in a result file, or JSON-escaped in a marker line
 * (which output masking cannot see), is stored as [MASKED].
 */
export async function runResult(
  kind: RunKind,
  status: RunStatus,
  read: ResultSources,
  masker: OutputMasker,
): Promise<Record<string, unknown> | null> {
  if (kind === 'script') return masker.maskValue(scriptResult(await read.stdout(), await read.resultFile())) as Record<string, unknown>;
  if (status === 'COMPLETED' && hasCommandResult(kind))
    return masker.maskValue(commandResult(kind, await read.output())) as Record<string, unknown>;
  return null;
}
