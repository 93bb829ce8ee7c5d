import { AutosubmitCommand } from './autosubmit-command';
import { ensureExpid } from './input-checks';

export interface StopOptions {
  /** SIGKILL instead of SIGINT. */
  force?: boolean;
  /** Autosubmit < 4.1.16 has no `-y` and asks for confirmation on stdin. */
  confirmOnStdin?: boolean;
}

/** `autosubmit stop -y [--force] EXPID`, or `autosubmit stop [--force] EXPID` answered `y` on stdin. */
export function stopCommand(expid: string, options: StopOptions = {}): AutosubmitCommand {
  const force = options.force === true ? ['--force'] : [];
  const checked = ensureExpid(expid);
  if (options.confirmOnStdin === true) return { args: ['stop', ...force, checked], stdin: 'y\n' };
  return { args: ['stop', '-y', ...force, checked] };
}
