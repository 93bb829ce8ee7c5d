import { api, isFinal, mayOperate, Me, Run } from '../api';
import { Child, facts, h, link, statusBadge } from '../dom';
import { duration, when } from '../format';
import { followLog } from '../log-follow';
import { placeOf, runTitle } from './runs';

const POLL_MS = 1500;
const SCHEDULE_REQUESTER = /^schedule (.+)$/;

/** Who asked: a schedule (a link to it) or a token (a link to its runs). */
function requester(r: Run): Node {
  const schedule = SCHEDULE_REQUESTER.exec(r.requested_by)?.[1];
  if (schedule) return h('span', {}, 'schedule ', link(`#/schedules/${encodeURIComponent(schedule)}`, schedule));
  return link(`#/runs?requester=${encodeURIComponent(r.requested_by)}`, r.requested_by);
}

/** A row shown only when it has something to say (a retry's reason, a session, a return value). */
const ifAny = (label: string, value: Child): [string, Child][] => (value ? [[label, value]] : []);

function describe(r: Run): HTMLElement {
  return facts([
    ['Status', statusBadge(r.status)],
    ['Detail', r.detail],
    ['Exit code', r.exit_code === null ? null : String(r.exit_code)],
    ['Attempts', String(r.attempts)],
    ...ifAny('Previous attempt failed', r.last_error),
    ['Created', when(r.created_at)],
    ['Started', when(r.started_at)],
    ['Finished', when(r.finished_at)],
    ['Took', duration(r.started_at, r.finished_at)],
    ...ifAny('Times out at', r.deadline_at && when(r.deadline_at)),
    ['Profile', r.profile && link(`#/runs?profile=${encodeURIComponent(r.profile)}`, r.profile)],
    ['Runner', r.runner],
    ['Where', placeOf(r)],
    ['PID', r.pid ? String(r.pid) : null],
    ['Run directory', r.run_dir],
    ...ifAny('Target', r.target && h('code', {}, JSON.stringify(r.target))),
    ['Requested by', requester(r)],
    ...ifAny('Session', r.session_id && link(`#/sessions/${r.session_id}`, `session ${r.session_id}`)),
    ['Command (argv)', h('code', { class: 'argv' }, r.argv.map((a) => JSON.stringify(a)).join(' '))],
    ['Returned', r.result && h('pre', { class: 'result' }, JSON.stringify(r.result, null, 2))],
    ['Log size', `${r.log_bytes} bytes${r.log_truncated_bytes ? ` (${r.log_truncated_bytes} bytes dropped: over the cap)` : ''}`],
  ]);
}

/**
 * A run's page: what it is, where it ran, why it is in its state, and its live log. The buttons are
 * shown to operators only; the server checks the role of every request whatever the page shows.
 */
export async function runPage(root: HTMLElement, id: number, me: Me, signal: AbortSignal): Promise<void> {
  let run = await api<Run>(`/api/v1/runs/${id}`, { signal });
  const heading = h('h1', {}, `run ${run.id} · ${runTitle(run)}`);
  const summary = h('div', { class: 'summary' });
  const actions = h('div', { class: 'actions' });
  const notice = h('p', { class: 'error', role: 'alert' });
  const log = h('pre', { id: 'log', class: 'log', 'aria-live': 'off' });
  const logState = h('p', { class: 'log-state' }, 'Connecting to the log…');
  const details = h('section', { class: 'details' });

  const act = async (label: string, button: HTMLButtonElement, call: () => Promise<void>) => {
    button.disabled = true;
    button.textContent = `${label}…`;
    notice.textContent = '';
    try {
      await call();
    } catch (e) {
      notice.textContent = (e as Error).message;
    }
    render();
  };
  const stop = h('button', { type: 'button', class: 'danger', 'data-action': 'stop' }, 'Stop');
  stop.addEventListener('click', () => {
    if (!confirm(`Stop run ${id}?`)) return;
    void act('Stopping', stop, async () => {
      run = await api<Run>(`/api/v1/runs/${id}/stop`, { method: 'POST', body: {} });
    });
  });
  const resubmit = h('button', { type: 'button', 'data-action': 'resubmit' }, 'Resubmit');
  resubmit.addEventListener('click', () =>
    act('Resubmitting', resubmit, async () => {
      const fresh = await api<Run>(`/api/v1/runs/${id}/resubmit`, { method: 'POST' });
      location.hash = `#/runs/${fresh.id}`;
    }),
  );

  function render(): void {
    summary.className = `summary summary-${run.status.toLowerCase()}`;
    summary.replaceChildren(statusBadge(run.status), ' ', run.detail ?? (isFinal(run) ? '' : 'in progress'));
    const buttons: HTMLElement[] = [];
    if (mayOperate(me)) {
      stop.disabled = resubmit.disabled = false;
      stop.textContent = 'Stop';
      resubmit.textContent = 'Resubmit';
      if (!isFinal(run)) buttons.push(stop);
      else if (run.kind !== 'session') buttons.push(resubmit);
    }
    actions.replaceChildren(...buttons);
    details.replaceChildren(describe(run));
  }

  root.replaceChildren(heading, summary, actions, notice, details, h('h2', {}, 'Log'), logState, log);
  render();

  // The row, while the run is not over: its status, detail and place change under the log.
  const poll = async () => {
    while (!signal.aborted && !isFinal(run)) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (signal.aborted) return;
      run = await api<Run>(`/api/v1/runs/${id}`, { signal }).catch(() => run);
      render();
    }
  };
  void poll();

  const atBottom = () => window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
  logState.textContent = isFinal(run) ? 'The whole log:' : 'Following the log as the run prints…';
  followLog(
    id,
    (frame) => {
      if (frame.type === 'log') {
        const stick = atBottom();
        log.append(h('span', { class: `line ${frame.stream}` }, frame.line), '\n');
        if (stick) window.scrollTo(0, document.body.scrollHeight);
      } else if (frame.type === 'result') {
        logState.textContent = `The run ended ${frame.data.status}${frame.data.code === null ? '' : ` with exit code ${frame.data.code}`}.`;
        void api<Run>(`/api/v1/runs/${id}`, { signal }).then((r) => {
          run = r;
          render();
        });
      } else {
        logState.textContent = `The log stream stopped: ${frame.error_message}`;
      }
    },
    signal,
  ).catch((e: Error) => {
    if (!signal.aborted) logState.textContent = `The log stream stopped: ${e.message}`;
  });
}
