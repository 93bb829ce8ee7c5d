import { api } from '../api';
import { facts, h, link } from '../dom';
import { when } from '../format';

interface Application {
  name: string;
  runtime: string;
  profile: string;
  open_sessions: number;
  created_by: string;
  created_at: string;
  lease_expires_at: string | null;
}

interface Session {
  id: number;
  application: string;
  kind: string;
  replicas: number;
  methods: string[];
  status: string;
  detail: string | null;
  restarts: number;
  calls?: number;
  finished_calls?: number;
  run_ids?: number[];
  created_by: string;
  created_at: string;
  closed_at: string | null;
}

const sessionRow = (s: Session) =>
  h(
    'tr',
    {},
    h('td', {}, link(`#/sessions/${s.id}`, `session ${s.id}`)),
    h('td', {}, s.application),
    h('td', {}, s.kind),
    h('td', {}, s.status),
    h('td', {}, s.created_by),
    h('td', {}, when(s.created_at)),
    h('td', {}, s.detail ?? ''),
  );

const sessionsTable = (sessions: Session[]) =>
  h(
    'table',
    { class: 'list sessions' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Session', 'Application', 'Kind', 'Status', 'Created by', 'Created', 'Detail'].map((c) => h('th', {}, c)),
      ),
    ),
    h('tbody', {}, sessions.length ? sessions.map(sessionRow) : h('tr', {}, h('td', { colspan: '7' }, 'No sessions.'))),
  );

/** Runner SDK applications and their newest sessions. */
export async function applicationsPage(root: HTMLElement, query: URLSearchParams): Promise<void> {
  const app = query.get('app');
  const [{ applications }, { sessions }] = await Promise.all([
    api<{ applications: Application[] }>('/api/v1/applications'),
    api<{ sessions: Session[] }>(`/api/v1/sessions?limit=100${app ? `&application=${encodeURIComponent(app)}` : ''}`),
  ]);
  root.replaceChildren(
    h('h1', {}, 'Runner SDK applications'),
    h(
      'table',
      { class: 'list applications' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Application', 'Runtime', 'Profile', 'Open sessions', 'Created by', 'Lease ends'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        applications.length
          ? applications.map((a) =>
              h(
                'tr',
                {},
                h('td', {}, link(`#/apps?app=${encodeURIComponent(a.name)}`, a.name)),
                h('td', {}, a.runtime),
                h('td', {}, a.profile),
                h('td', {}, String(a.open_sessions)),
                h('td', {}, a.created_by),
                h('td', {}, when(a.lease_expires_at)),
              ),
            )
          : h('tr', {}, h('td', { colspan: '6' }, 'No applications registered.')),
      ),
    ),
    h('h2', {}, app ? `Sessions of ${app}` : 'Newest sessions'),
    sessionsTable(sessions),
  );
}

export async function sessionPage(root: HTMLElement, id: number): Promise<void> {
  const s = await api<Session>(`/api/v1/sessions/${id}`);
  root.replaceChildren(
    h('h1', {}, `session ${s.id}`),
    facts([
      ['Application', link(`#/apps?app=${encodeURIComponent(s.application)}`, s.application)],
      ['Status', s.status],
      ['Detail', s.detail],
      ['Kind', `${s.kind}, ${s.replicas} replica(s)`],
      ['Methods', s.methods.join(', ')],
      ['Calls', `${s.finished_calls ?? 0} finished of ${s.calls ?? 0}`],
      ['Executor restarts', String(s.restarts)],
      [
        'Executors’ runs',
        (s.run_ids ?? []).length
          ? h(
              'span',
              { class: 'links' },
              (s.run_ids ?? []).map((r) => link(`#/runs/${r}`, `run ${r}`)),
            )
          : null,
      ],
      ['Created by', s.created_by],
      ['Created', when(s.created_at)],
      ['Closed', when(s.closed_at)],
    ]),
  );
}
