import { formatDuration, formatFields, formatTime, orDash, runDuration, RunRow, statusText, Style } from './format';

/** A run as GET /api/v1/runs/:id answers it (the fields the CLI shows). */
export interface RunAnswer extends RunRow {
  runner: string | null;
  argv: string[];
  detail: string | null;
  pid: number | null;
  host: string | null;
  /** What its runner aimed at, as the runner describes it (`{agent, tags}`, `{host, port, user}`). */
  target: Record<string, unknown> | null;
  run_dir: string | null;
  result: Record<string, unknown> | null;
  requested_by: string | null;
  attempts: number;
  last_error: string | null;
  deadline_at: string | null;
  modified_at: string | null;
}

const FINAL = ['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'];
export const isFinal = (status: string): boolean => FINAL.includes(status);

const withDetail = (text: string, detail: string | null) => (detail ? `${text} — ${detail}` : text);

/** What an unfinished run is doing, in one line (`waiting: queued — waiting for an agent with tags gpu`); null once it has ended. */
export function progressText(run: Pick<RunAnswer, 'status' | 'detail' | 'host' | 'pid'>): string | null {
  switch (run.status) {
    case 'QUEUED':
    case 'STARTING':
      return withDetail(`waiting: ${run.status.toLowerCase()}`, run.detail);
    case 'ACTIVE':
      return withDetail(`running${run.host ? ` on ${run.host}` : ''}${run.pid !== null ? ` (pid ${run.pid})` : ''}`, run.detail);
    case 'STOPPING':
      return withDetail('stopping', run.detail);
    default:
      return null;
  }
}

/** The detail, unless it only repeats the exit code the line already shows. */
const telling = (detail: string | null, code: number | null): string | null => (detail && detail !== `exit code ${code}` ? detail : null);

export type EndState = Pick<RunAnswer, 'id' | 'status' | 'exit_code' | 'detail' | 'created_at' | 'started_at' | 'finished_at'>;

/** The line a followed run ends with: `run 21 FAILED in 5.0s: queue timeout: …` (`durationMs` when the run has no timestamps). */
export function endLine(style: Style, run: EndState, durationMs: number | null = null): string {
  const code = run.exit_code === null ? '' : ` (exit ${run.exit_code})`;
  const detail = telling(run.detail, run.exit_code);
  const took = formatDuration(runDuration(run) ?? durationMs);
  return `run ${run.id} ${statusText(style, run.status)}${code} in ${took}${detail ? `: ${detail}` : ''}`;
}

/** What Ctrl-C while following says: the run goes on, and how to find it again. */
export function interruptedLine(runId: number, status: string | null): string {
  return (
    `run ${runId} continues on the server${status ? ` (${status})` : ''}. ` +
    `Follow it: runyard logs ${runId} --follow · stop it: runyard stop --run ${runId}`
  );
}

/** A word as a shell takes it back: single-quoted when it holds anything special. */
export const shellWord = (a: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/** argv as a shell would take it back. */
export const shellWords = (argv: readonly string[]): string => argv.map(shellWord).join(' ');

/** A runner's target in words: `tags gpu,linux`, `host h, port 22, user u` (what is unset left out). */
export const targetText = (target: Record<string, unknown> | null): string | null => {
  const parts = Object.entries(target ?? {})
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return parts.length > 0 ? parts.join(', ') : null;
};

/** `runyard show RUN`: every field a user asks about, times with their offset. */
export function formatRun(run: RunAnswer, style: Style, timeZone?: string): string {
  const result = run.result ?? {};
  const returned = 'return_data' in result ? result.return_data : undefined;
  const where = [
    run.runner,
    targetText(run.target),
    run.host ? `host ${run.host}` : null,
    run.pid !== null ? `pid ${run.pid}` : null,
  ].filter(Boolean);
  const fields: [string, string][] = [
    ['run', `${run.id} (${run.kind}${run.expid ? ` of ${run.expid}` : ''}${run.profile ? ` through ${run.profile}` : ''})`],
    ['status', statusText(style, run.status)],
    ['detail', orDash(run.detail)],
    ['exit code', orDash(run.exit_code)],
    ['attempts', `${run.attempts}${run.last_error ? ` (last error: ${run.last_error})` : ''}`],
    ['requested by', orDash(run.requested_by)],
    ['created', formatTime(run.created_at, timeZone)],
    ['started', formatTime(run.started_at, timeZone)],
    ['finished', formatTime(run.finished_at, timeZone)],
    // Until it starts: how long it has waited.
    ['duration', formatDuration(runDuration(run))],
  ];
  if (run.deadline_at && !run.finished_at) fields.push(['deadline', formatTime(run.deadline_at, timeZone)]);
  fields.push(
    ['ran on', where.length > 0 ? where.join(', ') : '-'],
    ['run dir', orDash(run.run_dir)],
    ['argv', run.argv.length > 0 ? shellWords(run.argv) : '-'],
  );
  if (returned !== undefined) fields.push(['returned', JSON.stringify(returned)]);
  if (typeof result.return_error === 'string') fields.push(['return error', result.return_error]);
  if (run.result !== null && returned === undefined) fields.push(['result', JSON.stringify(run.result)]);
  return formatFields(fields);
}
