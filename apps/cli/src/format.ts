/** Output styling: ANSI colours only on a terminal, never with NO_COLOR or when piped. */
export interface Style {
  color: boolean;
}

export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Style {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return { color: stream.isTTY === true && !noColor && env.TERM !== 'dumb' };
}

const CODES = { green: 32, red: 31, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export type Color = keyof typeof CODES;

export const paint = (style: Style, color: Color, text: string): string => (style.color ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text);

const STATUS_COLORS: Record<string, Color> = {
  COMPLETED: 'green',
  FAILED: 'red',
  LOST: 'red',
  TERMINATED: 'yellow',
  ACTIVE: 'cyan',
};

/** A run status (Runyard's or Autosubmit's), coloured by outcome. */
export const statusText = (style: Style, status: string | null | undefined): string => {
  const s = status ?? '-';
  const color = STATUS_COLORS[s];
  return color ? paint(style, color, s) : s;
};

/** The visible width of a cell (ANSI escapes take no room). */
// eslint-disable-next-line no-control-regex -- matching the escapes is the point
const visibleLength = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length;

/** Left-aligned columns separated by two spaces; no trailing blanks. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** 850 → 850ms, 61000 → 1m1s, 3723000 → 1h2m. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/**
 * A timestamp (`…Z`, `…+00:00`) as `YYYY-MM-DD HH:MM:SS +HH:MM` in the terminal's time zone (`TZ`) or
 * the one given, its offset always shown so that no time is ambiguous; `-` when there is none.
 */
export function formatTime(iso: string | null | undefined, timeZone?: string): string {
  const at = iso ? new Date(iso) : null;
  if (!at || Number.isNaN(at.getTime())) return iso ?? '-';
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  }).formatToParts(at);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  // longOffset is `GMT+01:00`, or plain `GMT` at offset zero.
  const offset = p.timeZoneName === 'GMT' ? '+00:00' : p.timeZoneName.replace(/^GMT/, '');
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${offset}`;
}

/** How long a run took: from its start (or, if it never started, from its submission) to its end or `now`; null without timestamps. */
export function runDuration(
  run: { created_at: string | null; started_at: string | null; finished_at: string | null },
  now = Date.now(),
): number | null {
  const from = run.started_at ?? run.created_at;
  if (!from) return null;
  return (run.finished_at ? Date.parse(run.finished_at) : now) - Date.parse(from);
}

export interface RunRow {
  id: number;
  kind: string;
  expid: string | null;
  profile: string | null;
  status: string;
  exit_code: number | null;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
}

/** `runyard runs`: one line per run. */
export function formatRunsTable(runs: readonly RunRow[], style: Style, now = Date.now(), timeZone?: string): string {
  if (runs.length === 0) return 'no runs\n';
  const rows = runs.map((r) => {
    return [
      String(r.id),
      r.kind,
      r.expid ?? '-',
      r.profile ?? '-',
      statusText(style, r.status),
      r.exit_code === null || r.exit_code === undefined ? '-' : String(r.exit_code),
      formatTime(r.created_at, timeZone),
      formatDuration(runDuration(r, now)),
    ];
  });
  return formatTable(['ID', 'KIND', 'EXPID', 'PROFILE', 'STATUS', 'EXIT', 'CREATED', 'DURATION'], rows);
}

/** A value for a field: '-' when there is none. */
export const orDash = (x: unknown): string => (x === null || x === undefined || x === '' ? '-' : String(x));

/** `key: value` lines, keys aligned. */
export function formatFields(fields: readonly [string, string][]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${(k + ':').padEnd(width + 1)} ${v}`).join('\n') + '\n';
}

export interface ScheduleRow {
  name: string;
  cron: string;
  timezone: string;
  expid: string;
  profile_name: string;
  overlap: string;
  paused: boolean;
  /** Why Runyard paused it (its owner's token revoked, …); null when a request did. */
  paused_reason?: string | null;
  waiting_since: string | null;
  next_fires: string[];
  fires: number;
  skips: number;
  last_skip_at: string | null;
}

/** What a schedule is doing: paused (with Runyard's reason, if it paused it), a fire waiting for the current run, or active. */
export const scheduleState = (s: Pick<ScheduleRow, 'paused' | 'paused_reason' | 'waiting_since'>): string =>
  s.paused ? (s.paused_reason ? `paused: ${s.paused_reason}` : 'paused') : s.waiting_since ? 'waiting' : 'active';

/** `runyard schedules`: one line per schedule, its next fire in the terminal's time zone. */
export function formatSchedulesTable(schedules: readonly ScheduleRow[], timeZone?: string): string {
  if (schedules.length === 0) return 'no schedules\n';
  const rows = schedules.map((s) => [
    s.name,
    s.cron,
    s.timezone,
    s.expid,
    s.profile_name,
    s.overlap,
    scheduleState(s),
    s.next_fires[0] ? formatTime(s.next_fires[0], timeZone) : '-',
    String(s.fires),
    String(s.skips),
    formatTime(s.last_skip_at, timeZone),
  ]);
  return formatTable(['NAME', 'CRON', 'TIMEZONE', 'EXPID', 'PROFILE', 'OVERLAP', 'STATE', 'NEXT FIRE', 'RUNS', 'SKIPS', 'LAST SKIP'], rows);
}
