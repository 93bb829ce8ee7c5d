/** The file of the run directory RUNYARD_RESULT_FILE names. */
export const RESULT_FILE = 'result.json';

/**
 * The constant wrapper every run executes under, locally and on SSH hosts. User values arrive only
 * as positional parameters: $1 is the run directory, the rest is the argv. It records the real exit
 * status in a file, so a worker that re-attaches after a restart still learns how the run ended. The
 * trap keeps the wrapper alive to record the status when the process group is signalled; traps with
 * a handler are reset in the child, so the command itself still receives the signal. The command
 * finds in RUNYARD_RESULT_FILE where it may leave a JSON result (a script's return value). The status
 * is written with the shell's own printf (one short write; a reader takes it only once its newline is
 * there): no `mv`, since every process a run starts counts when thousands of short runs start a second.
 */
export const WRAPPER_SCRIPT = `d=$1; shift; RUNYARD_RESULT_FILE=$d/${RESULT_FILE}; export RUNYARD_RESULT_FILE; trap : INT TERM HUP; "$@"; c=$?; printf "%s\\n" "$c" > "$d/exit"; exit "$c"`;

/** `$0` of the wrapper: with the run directory after it, it identifies the run's process (pids get reused). */
export const WRAPPER_NAME = 'runyard-run';

/** The recorded exit status, or null if the file is missing, not yet complete (no newline) or not a number. */
export function parseExitFile(text: string | null): number | null {
  if (text === null || !/^\d+\n$/.test(text)) return null;
  return Number.parseInt(text, 10);
}
