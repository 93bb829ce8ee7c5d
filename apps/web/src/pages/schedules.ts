import { api, mayOperate, Me } from '../api';
import { facts, h, link } from '../dom';
import { viewerZone, when } from '../format';

interface Schedule {
  name: string;
  cron: string;
  timezone: string;
  expid: string;
  profile_name: string;
  overlap: string;
  paused: boolean;
  paused_reason: string | null;
  next_fires: string[];
  fires: number;
  last_fire_at: string | null;
  last_run_id: number | null;
  skips: number;
  last_skip_reason: string | null;
  waiting_since: string | null;
  recent: { at: string; outcome: string; run_id: number | null; detail: string | null }[];
  created_by: string;
}

const state = (s: Schedule) => (s.paused ? `paused${s.paused_reason ? `: ${s.paused_reason}` : ''}` : 'active');
const runLink = (id: number | null) => (id ? link(`#/runs/${id}`, `run ${id}`) : '–');

export async function schedulesPage(root: HTMLElement): Promise<void> {
  const { schedules } = await api<{ schedules: Schedule[] }>('/api/v1/schedules');
  root.replaceChildren(
    h('h1', {}, 'Schedules'),
    h('p', { class: 'hint' }, `Times in your time zone (${viewerZone}).`),
    h(
      'table',
      { class: 'list schedules' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Schedule', 'Cron', 'Experiment', 'State', 'Next fire', 'Runs started', 'Last run'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        schedules.length
          ? schedules.map((s) =>
              h(
                'tr',
                {},
                h('td', {}, link(`#/schedules/${encodeURIComponent(s.name)}`, s.name)),
                h('td', {}, h('code', {}, s.cron), ` (${s.timezone})`),
                h('td', {}, `${s.expid} on ${s.profile_name}`),
                h('td', {}, state(s)),
                h('td', {}, s.paused ? '–' : when(s.next_fires[0])),
                h('td', {}, String(s.fires)),
                h('td', {}, runLink(s.last_run_id)),
              ),
            )
          : h('tr', {}, h('td', { colspan: '7' }, 'No schedules.')),
      ),
    ),
  );
}

export async function schedulePage(root: HTMLElement, name: string, me: Me): Promise<void> {
  const path = `/api/v1/schedules/${encodeURIComponent(name)}`;
  const s = await api<Schedule>(path);
  const notice = h('p', { class: 'error', role: 'alert' });
  const toggle = h('button', { type: 'button', 'data-action': s.paused ? 'resume' : 'pause' }, s.paused ? 'Resume' : 'Pause');
  toggle.addEventListener('click', () => {
    toggle.disabled = true;
    api(`${path}/${s.paused ? 'resume' : 'pause'}`, { method: 'POST', body: {} }).then(
      () => schedulePage(root, name, me),
      (e: Error) => {
        notice.textContent = e.message;
        toggle.disabled = false;
      },
    );
  });
  root.replaceChildren(
    h('h1', {}, `schedule ${s.name}`),
    mayOperate(me) ? h('div', { class: 'actions' }, toggle) : '',
    notice,
    facts([
      ['State', state(s)],
      ['Cron', h('span', {}, h('code', {}, s.cron), ` in ${s.timezone}`)],
      ['Runs', h('span', {}, link(`#/runs?expid=${encodeURIComponent(s.expid)}`, s.expid), ` on profile ${s.profile_name}`)],
      ['Overlap', s.overlap],
      [
        `Next fires (${viewerZone})`,
        s.paused
          ? 'none while paused'
          : h(
              'ul',
              {},
              s.next_fires.map((f) => h('li', {}, when(f))),
            ),
      ],
      ['Runs started', String(s.fires)],
      ['Skipped fires', `${s.skips}${s.last_skip_reason ? ` (last: ${s.last_skip_reason})` : ''}`],
      ['Waiting since', s.waiting_since && when(s.waiting_since)],
      ['Created by', s.created_by],
    ]),
    h('h2', {}, 'Fire history'),
    h(
      'table',
      { class: 'list fires' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['At', 'Outcome', 'Run', 'Detail'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        s.recent.length
          ? s.recent.map((f) =>
              h('tr', {}, h('td', {}, when(f.at)), h('td', {}, f.outcome), h('td', {}, runLink(f.run_id)), h('td', {}, f.detail ?? '')),
            )
          : h('tr', {}, h('td', { colspan: '4' }, 'It has not fired yet.')),
      ),
    ),
    h('p', {}, link(`#/runs?requester=${encodeURIComponent(`schedule ${s.name}`)}`, `Every run of schedule ${s.name} →`)),
  );
}
