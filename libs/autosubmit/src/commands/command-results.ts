import { parseCreatedExpid } from './create-experiment.command';
import { parseVersion } from './version.command';

/** What a completed short command answers, read from its output by the command's own parser; null for the others. */
export function commandResult(kind: string, output: string): Record<string, unknown> | null {
  if (kind === 'create-experiment') return { expid: parseCreatedExpid(output) };
  if (kind === 'version') return { version: parseVersion(output) };
  return null;
}

/** Kinds whose answer is read from their output. */
export const hasCommandResult = (kind: string): boolean => kind === 'create-experiment' || kind === 'version';
