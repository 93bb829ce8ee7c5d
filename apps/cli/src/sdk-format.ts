import { formatTable, formatTime, paint, Style } from './format';

export interface ApplicationRow {
  name: string;
  runtime: string;
  profile: string;
  package: { sha256: string; size: number };
  open_sessions: number;
  created_by: string;
  lease_expires_at: string;
}

export interface SessionRow {
  id: number;
  /** The client's name for it (Flame's session id), else `{application}-{id}`. */
  name: string;
  application: string;
  kind: string;
  ordered: boolean;
  status: string;
  detail: string | null;
  calls: number;
  finished_calls: number;
  run_ids: number[];
  created_at: string;
}

const SESSION_COLORS = { open: 'cyan', closed: 'green', lost: 'red' } as const;

/** 1536 → 1.5 KiB. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** `runyard apps`: one line per registered Runner SDK application. */
export function formatApplicationsTable(apps: readonly ApplicationRow[], now = Date.now()): string {
  if (apps.length === 0) return 'no applications\n';
  const rows = apps.map((a) => {
    const left = Math.round((Date.parse(a.lease_expires_at) - now) / 1000);
    return [
      a.name,
      a.runtime,
      a.profile,
      String(a.open_sessions),
      `${a.package.sha256.slice(0, 12)} ${formatBytes(a.package.size)}`,
      left >= 0 ? `${left}s` : 'expired',
      a.created_by,
    ];
  });
  return formatTable(['NAME', 'RUNTIME', 'PROFILE', 'SESSIONS', 'PACKAGE', 'LEASE', 'BY'], rows);
}

/** `runyard sessions`: one line per session, its executors' runs (see `runyard logs RUN`) and why it ended. */
export function formatSessionsTable(sessions: readonly SessionRow[], style: Style, timeZone?: string): string {
  if (sessions.length === 0) return 'no sessions\n';
  const rows = sessions.map((s) => [
    String(s.id),
    s.name,
    s.application,
    s.kind,
    s.ordered ? 'ordered' : 'any',
    paint(style, SESSION_COLORS[s.status as keyof typeof SESSION_COLORS] ?? 'dim', s.status),
    `${s.finished_calls}/${s.calls}`,
    s.run_ids.join(',') || '-',
    formatTime(s.created_at, timeZone),
    s.status === 'open' ? '' : (s.detail ?? ''),
  ]);
  return formatTable(['ID', 'NAME', 'APP', 'KIND', 'ORDER', 'STATUS', 'CALLS', 'RUNS', 'CREATED', 'DETAIL'], rows);
}
