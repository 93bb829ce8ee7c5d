/** The viewer's own time zone: every time on the page is shown in it, and named. */
export const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});

export const when = (iso: string | null | undefined): string => (iso ? TIME.format(new Date(iso)) : '–');

export function duration(from: string | null, to: string | null): string {
  if (!from) return '–';
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "3 s ago", "5 min ago": how fresh an agent's last word is. */
export function ago(iso: string | null): string {
  if (!iso) return 'never';
  return `${duration(iso, null)} ago`;
}
