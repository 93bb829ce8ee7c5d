import { api } from '../api';
import { facts, h, link, statusBadge } from '../dom';
import { ago, when } from '../format';

interface Agent {
  id: string;
  name: string;
  status: string;
  mode: string;
  tags: string[];
  max_concurrency: number;
  active_runs: number;
  last_seen_at: string | null;
  status_message: string | null;
  version: string | null;
  os: string | null;
  arch: string | null;
  drain: boolean;
  disabled: boolean;
}

export async function agentsPage(root: HTMLElement): Promise<void> {
  root.replaceChildren(h('h1', {}, 'Runner agents'), h('p', {}, 'Loading…'));
  const agents = await api<Agent[]>('/api/v1/agents');
  root.replaceChildren(
    h('h1', {}, 'Runner agents'),
    h(
      'table',
      { class: 'list agents' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Agent', 'Status', 'Mode', 'Tags', 'Active runs', 'Last seen'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        agents.length
          ? agents.map((a) =>
              h(
                'tr',
                {},
                h('td', {}, link(`#/agents/${encodeURIComponent(a.id)}`, a.id), a.name !== a.id ? ` (${a.name})` : ''),
                h('td', {}, statusBadge(a.status), a.disabled ? ' disabled' : '', a.drain ? ' draining' : ''),
                h('td', {}, a.mode),
                h('td', {}, a.tags.join(', ') || '–'),
                h('td', {}, link(`#/runs?agent=${encodeURIComponent(a.id)}&status=ACTIVE`, `${a.active_runs} / ${a.max_concurrency}`)),
                h('td', { title: when(a.last_seen_at) }, ago(a.last_seen_at)),
              ),
            )
          : h('tr', {}, h('td', { colspan: '6' }, 'No agents registered.')),
      ),
    ),
  );
}

export async function agentPage(root: HTMLElement, id: string): Promise<void> {
  const a = await api<Agent>(`/api/v1/agents/${encodeURIComponent(id)}`);
  root.replaceChildren(
    h('h1', {}, `agent ${a.id}`),
    facts([
      ['Status', h('span', {}, statusBadge(a.status), a.status_message ? ` ${a.status_message}` : '')],
      ['Name', a.name],
      ['Mode', a.mode],
      ['Tags', a.tags.join(', ')],
      ['Active runs', `${a.active_runs} of at most ${a.max_concurrency}`],
      ['Last seen', `${ago(a.last_seen_at)} (${when(a.last_seen_at)})`],
      ['Version', a.version],
      ['Host', [a.os, a.arch].filter(Boolean).join(' ')],
      ['Disabled', a.disabled ? 'yes' : 'no'],
      ['Draining', a.drain ? 'yes' : 'no'],
    ]),
    h('p', {}, link(`#/runs?agent=${encodeURIComponent(a.id)}`, `Runs on ${a.id} →`)),
  );
}
