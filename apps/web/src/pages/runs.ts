import { api, Run } from '../api';
import { h, link, statusBadge } from '../dom';
import { duration, when } from '../format';

const STATUSES = ['', 'QUEUED', 'STARTING', 'ACTIVE', 'STOPPING', 'COMPLETED', 'FAILED', 'TERMINATED', 'LOST'];
const KINDS = ['', 'run', 'script', 'session', 'setstatus', 'create-experiment', 'update-description', 'create-job-list', 'version'];
const TEXT_FILTERS = ['expid', 'profile', 'agent', 'requester'] as const;
const PAGE = 25;
const REFRESH_MS = 3000;

interface RunsPage {
  runs: Run[];
  next_before: number | null;
  total: number;
}

/** What a run is, in a few words: `Autosubmit a001 run`, `script`, `session executor`. */
export const runTitle = (r: Pick<Run, 'kind' | 'expid'>): string =>
  r.kind === 'session' ? 'Runner SDK session executor' : r.expid ? `Autosubmit ${r.expid} ${r.kind}` : r.kind;

/** Where a run went: an agent (a link to it), a host, or nothing yet. */
export function placeOf(r: Run): Node | string {
  if (r.runner === 'AGENT' && r.host) return h('span', {}, 'agent ', link(`#/agents/${encodeURIComponent(r.host)}`, r.host));
  return r.host ?? '–';
}

/** The runs list: newest first, filtered by the query in the address (so a filtered view can be shared), paged. */
export async function runsPage(root: HTMLElement, query: URLSearchParams, signal: AbortSignal): Promise<void> {
  const select = (name: string, options: string[]) =>
    h(
      'select',
      { name },
      options.map((o) => h('option', { value: o, selected: query.get(name) === o }, o || `any ${name}`)),
    );
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e) => {
        e.preventDefault();
        const next = new URLSearchParams();
        for (const [k, v] of new FormData(form)) if (typeof v === 'string' && v.trim()) next.set(k, v.trim());
        location.hash = `#/runs?${next}`;
      },
    },
    select('status', STATUSES),
    select('kind', KINDS),
    TEXT_FILTERS.map((name) => h('input', { name, placeholder: name, value: query.get(name) ?? '', size: '12' })),
    h('button', { type: 'submit' }, 'Filter'),
    h('a', { href: '#/runs', class: 'button-like' }, 'Clear'),
  );
  const params = new URLSearchParams({ limit: String(PAGE) });
  for (const name of ['status', 'kind', ...TEXT_FILTERS, 'before']) {
    const v = query.get(name);
    if (v) params.set(name, v);
  }
  const results = h('div', { class: 'results' }, h('p', {}, 'Loading…'));
  root.replaceChildren(h('h1', {}, 'Runs'), form, results);
  const load = () => api<RunsPage>(`/api/v1/runs?${params}`, { signal });
  let page = await load();
  // The page keeps itself current while the user looks at it (a failed refresh keeps what it showed).
  for (;;) {
    results.replaceChildren(...table(page, query));
    await new Promise((r) => setTimeout(r, REFRESH_MS));
    if (signal.aborted) return;
    page = await load().catch(() => page);
  }
}

function table(page: RunsPage, query: URLSearchParams): HTMLElement[] {
  const rows = page.runs.map((r) =>
    h(
      'tr',
      { 'data-run': String(r.id) },
      h('td', {}, link(`#/runs/${r.id}`, `run ${r.id}`)),
      h('td', {}, statusBadge(r.status)),
      h('td', {}, runTitle(r)),
      h('td', {}, r.profile ?? '–'),
      h('td', {}, placeOf(r)),
      h('td', {}, r.requested_by),
      h('td', {}, when(r.created_at)),
      h('td', {}, duration(r.started_at, r.finished_at)),
      h('td', { class: 'detail' }, r.detail ?? ''),
    ),
  );
  const next = new URLSearchParams(query);
  if (page.next_before) next.set('before', String(page.next_before));
  const shown = page.runs.length;
  return [
    h(
      'table',
      { class: 'list runs' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Run', 'Status', 'What', 'Profile', 'Where', 'Requested by', 'Created', 'Took', 'Detail'].map((c) => h('th', {}, c)),
        ),
      ),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: '9' }, 'No runs match.'))),
    ),
    h(
      'nav',
      { class: 'pager' },
      h('span', { class: 'total' }, `${shown} shown of ${page.total} matching`),
      query.get('before') && h('button', { type: 'button', onclick: () => history.back() }, '← Newer'),
      page.next_before && link(`#/runs?${next}`, 'Older →'),
    ),
  ];
}
