import { api, ApiError, Me, token } from './api';
import { h, link } from './dom';
import { agentPage, agentsPage } from './pages/agents';
import { loginPage } from './pages/login';
import { runPage } from './pages/run';
import { runsPage } from './pages/runs';
import { schedulePage, schedulesPage } from './pages/schedules';
import { applicationsPage, sessionPage } from './pages/sessions';

const app = document.getElementById('app')!;
const top = document.getElementById('top')!;
let me: Me | null = null;
/** Ends what the page on screen keeps doing (a log stream, a poll) when another one replaces it. */
let leaving = new AbortController();

function header(who: Me): void {
  top.replaceChildren(
    h(
      'nav',
      { class: 'top' },
      h('strong', {}, 'Runyard'),
      link('#/runs', 'Runs'),
      link('#/agents', 'Agents'),
      link('#/schedules', 'Schedules'),
      link('#/apps', 'SDK applications'),
      h('span', { class: 'who', 'data-role': who.role }, `${who.name} (${who.role})`),
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            token.clear();
            me = null;
            void route();
          },
        },
        'Sign out',
      ),
    ),
  );
}

/** The page the address names: #/runs, #/runs/12, #/agents/gpu1, #/schedules/nightly, #/apps, #/sessions/3. */
function page(who: Me, signal: AbortSignal): Promise<void> {
  const [path, search] = (location.hash.slice(1) || '/runs').split('?');
  const query = new URLSearchParams(search ?? '');
  const [, section, id] = path.split('/').map(decodeURIComponent);
  switch (section) {
    case 'runs':
      return id ? runPage(app, Number(id), who, signal) : runsPage(app, query, signal);
    case 'agents':
      return id ? agentPage(app, id) : agentsPage(app);
    case 'schedules':
      return id ? schedulePage(app, id, who) : schedulesPage(app);
    case 'apps':
      return applicationsPage(app, query);
    case 'sessions':
      return sessionPage(app, Number(id));
    default:
      location.hash = '#/runs';
      return Promise.resolve();
  }
}

async function route(): Promise<void> {
  leaving.abort();
  leaving = new AbortController();
  if (!token.get()) return showLogin();
  try {
    me ??= await api<Me>('/api/v1/me');
    header(me);
    await page(me, leaving.signal);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showLogin('The token was refused (unknown or revoked): sign in again.');
    if ((e as Error).name === 'AbortError') return;
    app.replaceChildren(h('p', { class: 'error', role: 'alert' }, (e as Error).message));
  }
}

function showLogin(reason?: string): void {
  token.clear();
  me = null;
  top.replaceChildren();
  loginPage(
    app,
    (who) => {
      me = who;
      void route();
    },
    reason,
  );
}

window.addEventListener('hashchange', () => void route());
void route();
