import { AutosubmitCommand } from './autosubmit-command';

/** `autosubmit -v` */
export function versionCommand(): AutosubmitCommand {
  return { args: ['-v'] };
}
