import { AutosubmitCommand } from './autosubmit-command';
import { ensureDescription, ensureExpid } from './input-checks';

/** `autosubmit updatedescrip EXPID DESCRIPTION` — a positional, hence no leading `-` (see isDescription). */
export function updateDescriptionCommand(expid: string, description: string): AutosubmitCommand {
  return { args: ['updatedescrip', ensureExpid(expid), ensureDescription(description)] };
}
