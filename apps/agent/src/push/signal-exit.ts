/** What /bin/sh (the run's wrapper) prints when the command it waits for dies of signal N (strsignal's text). */
const SHELL_SIGNAL_TEXT: Record<number, string> = {
  1: 'Hangup',
  3: 'Quit',
  4: 'Illegal instruction',
  5: 'Trace/breakpoint trap',
  6: 'Aborted',
  7: 'Bus error',
  8: 'Floating point exception',
  9: 'Killed',
  10: 'User defined signal 1',
  11: 'Segmentation fault',
  12: 'User defined signal 2',
  13: 'Broken pipe',
  14: 'Alarm clock',
  15: 'Terminated',
};

const ANY_SIGNAL_LINE = new RegExp(`(^|\\n)(${Object.values(SHELL_SIGNAL_TEXT).join('|')})( \\(core dumped\\))?\\n?$`);

/**
 * Where a line the wrapper shell prints for a death by signal could begin at the end of `stderr`, or -1:
 * live output holds it back until the exit tells whether it is the shell's or the script's own.
 */
export function heldSignalLineAt(stderr: string): number {
  const m = ANY_SIGNAL_LINE.exec(stderr);
  return m ? m.index + m[1].length : -1;
}

/**
 * An exit as Automn's runner reports it: a script that died of a signal has code 1 (Node's exit code
 * is null then), not the shell's 128+N, and the wrapper shell's "Terminated"/"Killed" line is no part
 * of what the script wrote. A death by signal is known by that line, or by the runner's own stop.
 */
export function automnExit(code: number | null, stderr: string, stoppedByRunner: boolean): { code: number; stderr: string } {
  if (code === null) return { code: 1, stderr };
  if (code <= 128 || code > 128 + 64) return { code, stderr };
  const said = SHELL_SIGNAL_TEXT[code - 128];
  const line = said ? new RegExp(`(^|\\n)${said}( \\(core dumped\\))?\\n?$`) : null;
  const m = line ? line.exec(stderr) : null;
  if (m) return { code: 1, stderr: stderr.slice(0, m.index + m[1].length) };
  return stoppedByRunner ? { code: 1, stderr } : { code, stderr };
}
