import { AutosubmitCommand } from './autosubmit-command';

/** `autosubmit -v` */
export function versionCommand(): AutosubmitCommand {
  return { args: ['-v'] };
}

/** The version Autosubmit printed (`4.1.12`), or its whole trimmed answer when it has no version-like word. */
export function parseVersion(output: string): string {
  return output.match(/\b\d+\.\d+(\.\d+)?\S*/)?.[0] ?? output.trim();
}
