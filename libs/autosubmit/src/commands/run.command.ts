import { AutosubmitCommand } from './autosubmit-command';
import { ensureExpid } from './input-checks';

/** `autosubmit run EXPID` */
export function runCommand(expid: string): AutosubmitCommand {
  return { args: ['run', ensureExpid(expid)] };
}
