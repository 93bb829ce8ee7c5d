import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { behave } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { profilesYaml, ROOT, RunyardUnderTest, startRunyard } from './support/runyard';

const ADMIN = 'web-ui-admin-secret';
/** Screenshots for people to look at (kept by CI as artifacts); a failing step adds its own, named FAILED-…. */
const OUT = join(ROOT, '.ci', 'artifacts', 'web-ui');

/** The web UI at /ui/, in a real browser (Debian's Chromium driven by playwright-core), with viewer and operator tokens. */
describe('web UI', () => {
  let rt: RunyardUnderTest;
  let browser: Browser;
  let viewer: string;
  let operator: string;
  /** The pages of the test under way: screenshotted if it fails. */
  let open: { name: string; page: Page; context: BrowserContext }[] = [];

  const asAdmin = (method: string, path: string, body?: unknown) => call(rt.url, method, path, body, ADMIN);
  const submit = async (expid: string) => {
    const res = await asAdmin('POST', '/api/v1/runs', { expid, profile_name: 'LOCAL_NO_MODULE' });
    expect(res.status).toBe(202);
    return res.body.id as number;
  };
  const statusOf = async (id: number) => (await asAdmin('GET', `/api/v1/runs/${id}`)).body.status as string;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    rt = await startRunyard({ config: profilesYaml(), env: { AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: ADMIN } });
    viewer = (await asAdmin('POST', '/api/v1/tokens', { name: 'watcher', role: 'viewer' })).body.token;
    operator = (await asAdmin('POST', '/api/v1/tokens', { name: 'night-shift', role: 'operator' })).body.token;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  afterEach(async () => {
    await Promise.all(open.map((o) => o.context.close()));
    open = [];
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.close();
  });

  /** Runs a test's steps; on failure, a screenshot of every page it opened, and where they are. */
  const watched = (name: string, steps: () => Promise<void>) => async () => {
    try {
      await steps();
    } catch (e) {
      const shots = await Promise.all(
        open.map(async (o, i) => {
          const path = join(OUT, `FAILED-${name}-${i}-${o.name}.png`);
          await o.page.screenshot({ path, fullPage: true }).catch(() => undefined);
          return path;
        }),
      );
      console.error(`web UI test "${name}" failed; screenshots: ${shots.join(', ') || 'none (no page open)'}`);
      throw e;
    }
  };

  /** A browser signed in through the login form with this token; every request it makes is recorded. */
  async function signIn(name: string, token: string, options: { timezoneId?: string } = {}): Promise<{ page: Page; requests: string[] }> {
    const context = await browser.newContext({ locale: 'en-US', ...options });
    const page = await context.newPage();
    open.push({ name, page, context });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${rt.url}/ui/`);
    await page.locator('input[name=token]').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('nav.top .who').waitFor();
    return { page, requests };
  }

  const logLines = (page: Page) => page.locator('#log .line').count();

  it(
    'lets a viewer watch a running run’s log grow with no stop button, refuses its forged stop, and shows the operator’s stop end in TERMINATED',
    watched('live-log-and-stop', async () => {
      behave(rt, 'w001', { seconds: 120, ticks: true });
      const id = await submit('w001');

      const { page: watching, requests } = await signIn('viewer', viewer);
      await watching.goto(`${rt.url}/ui/#/runs/${id}`);
      await watching.locator('.summary [data-status=ACTIVE]').waitFor();
      await watching.getByText('tick 3', { exact: true }).waitFor();
      // The log keeps up while the run prints: more lines arrive with the page left as it is.
      const seen = await logLines(watching);
      await watching.waitForFunction((n) => document.querySelectorAll('#log .line').length >= n + 10, seen);
      expect(await watching.locator('nav.top .who').textContent()).toBe('watcher (viewer)');
      expect(await watching.locator('[data-action=stop]').count()).toBe(0);
      expect(await watching.locator('dl.facts').textContent()).toContain('"autosubmit" "run" "w001"');
      await watching.screenshot({ path: join(OUT, 'run-live-viewer.png'), fullPage: true });

      // What a viewer could send by hand with its own token: refused, and the run goes on.
      const forged = await watching.evaluate(async (runId) => {
        const token = sessionStorage.getItem('runyard-token');
        const res = await fetch(`/api/v1/runs/${runId}/stop`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        return { status: res.status, body: await res.json() };
      }, id);
      expect(forged).toEqual({
        status: 403,
        body: expect.objectContaining({ error_message: 'token watcher has role viewer; this needs operator' }),
      });
      expect(await statusOf(id)).toBe('ACTIVE');

      const { page: operating } = await signIn('operator', operator);
      await operating.goto(`${rt.url}/ui/#/runs/${id}`);
      operating.once('dialog', (d) => void d.accept());
      await operating.locator('[data-action=stop]').click();
      await operating.locator('.summary [data-status=TERMINATED]').waitFor({ timeout: 20_000 });
      expect(await operating.locator('.summary').textContent()).toContain('stopped by night-shift');
      expect(await operating.locator('[data-action=stop]').count()).toBe(0);
      await operating.locator('[data-action=resubmit]').waitFor();
      await operating.screenshot({ path: join(OUT, 'run-terminated-operator.png'), fullPage: true });

      // The viewer's page, left open, follows the run to its end.
      await watching.locator('.summary [data-status=TERMINATED]').waitFor();
      await watching.getByText('The run ended TERMINATED').waitFor();
      expect(await statusOf(id)).toBe('TERMINATED');
      // Every file and answer came from Runyard itself: no CDN, nothing from the network.
      expect(requests.filter((u) => !u.startsWith(rt.url))).toEqual([]);
    }),
  );

  it(
    'shows a FAILED run as failed with its detail, in the filtered runs list and on its page, and an operator’s resubmission runs it again',
    watched('failed-run', async () => {
      behave(rt, 'w002', { seconds: 0, exit: 3 });
      const id = await submit('w002');
      await eventually(async () => (await statusOf(id)) === 'FAILED', 20_000, 'the run to fail');

      const { page } = await signIn('viewer', viewer);
      await page.goto(`${rt.url}/ui/#/runs?status=FAILED`);
      const row = page.locator(`tr[data-run="${id}"]`);
      await row.waitFor();
      expect(await row.locator('[data-status]').textContent()).toBe('FAILED');
      expect(await row.locator('td.detail').textContent()).toBe('exit code 3');
      expect(await page.locator('tr[data-run]').count()).toBe(1);
      expect(await page.locator('.pager .total').textContent()).toBe('1 shown of 1 matching');
      await page.screenshot({ path: join(OUT, 'runs-failed-filter.png'), fullPage: true });

      await row.getByRole('link', { name: `run ${id}` }).click();
      await page.locator('.summary-failed').waitFor();
      expect(await page.locator('.summary').textContent()).toBe('FAILED exit code 3');
      await page.getByText('Run failed', { exact: true }).waitFor();
      expect(await page.locator('[data-action]').count()).toBe(0);
      await page.screenshot({ path: join(OUT, 'run-failed.png'), fullPage: true });

      const { page: operating } = await signIn('operator', operator);
      await operating.goto(`${rt.url}/ui/#/runs/${id}`);
      await operating.locator('[data-action=resubmit]').click();
      await operating.waitForURL((u) => u.hash !== `#/runs/${id}`);
      const again = Number(new URL(operating.url()).hash.split('/')[2]);
      expect(again).toBeGreaterThan(id);
      // The new run's page (not the old one's, still on screen for a moment), once it has failed too.
      await operating.locator('h1', { hasText: `run ${again} ·` }).waitFor();
      expect(await operating.locator('h1').textContent()).toBe(`run ${again} · Autosubmit w002 run`);
      await operating.locator('.summary [data-status=FAILED]').waitFor({ timeout: 20_000 });
      // A real run: the stand-in autosubmit was started a second time for it.
      const runs = readFileSync(rt.argvLog, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"run","w002"'));
      expect(runs).toHaveLength(2);
    }),
  );

  it(
    'shows a schedule’s next fire in the viewer’s time zone, and pause only to an operator',
    watched('schedule', async () => {
      const created = await asAdmin('POST', '/api/v1/schedules', {
        name: 'nightly',
        cron: '0 3 * * *',
        timezone: 'Europe/Madrid',
        expid: 'w003',
        profile_name: 'LOCAL_NO_MODULE',
      });
      expect(created.status).toBe(201);
      const next = new Date(created.body.next_fires[0] as string);
      const inTokyo = new Intl.DateTimeFormat('en-US', {
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        timeZoneName: 'short',
        timeZone: 'Asia/Tokyo',
      }).format(next);

      const { page } = await signIn('viewer-tokyo', viewer, { timezoneId: 'Asia/Tokyo' });
      await page.goto(`${rt.url}/ui/#/schedules`);
      await page.getByText('Times in your time zone (Asia/Tokyo).').waitFor();
      await page.getByRole('cell', { name: inTokyo }).waitFor();
      await page.screenshot({ path: join(OUT, 'schedules-viewer-tokyo.png') });
      await page.getByRole('link', { name: 'nightly' }).click();
      await page.getByText('Fire history').waitFor();
      expect(await page.locator('[data-action]').count()).toBe(0);
      const forged = await page.evaluate(async () => {
        const token = sessionStorage.getItem('runyard-token');
        return (await fetch('/api/v1/schedules/nightly/pause', { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status;
      });
      expect(forged).toBe(403);
      expect((await asAdmin('GET', '/api/v1/schedules/nightly')).body.paused).toBe(false);

      const { page: operating } = await signIn('operator', operator);
      await operating.goto(`${rt.url}/ui/#/schedules/nightly`);
      await operating.locator('[data-action=pause]').click();
      await operating.locator('[data-action=resume]').waitFor();
      expect((await asAdmin('GET', '/api/v1/schedules/nightly')).body.paused).toBe(true);
      await operating.screenshot({ path: join(OUT, 'schedule-paused-operator.png'), fullPage: true });
    }),
  );

  it(
    'shows the runner agents with their tags and load to an admin and to a viewer, who may change nothing',
    watched('agents', async () => {
      expect((await asAdmin('POST', '/api/v1/agents', { id: 'gpu1', tags: ['gpu', 'cuda'], max_concurrency: 2 })).status).toBe(201);
      const { page } = await signIn('admin', ADMIN);
      await page.goto(`${rt.url}/ui/#/agents`);
      const row = page.locator('table.agents tbody tr').filter({ hasText: 'gpu1' });
      await row.waitFor();
      expect(await row.locator('td').allTextContents()).toEqual(['gpu1', 'pending', 'pull', 'gpu, cuda', '0 / 2', 'never']);
      await page.screenshot({ path: join(OUT, 'agents-admin.png') });

      // A viewer sees them too, and may change nothing.
      const { page: watching } = await signIn('viewer', viewer);
      await watching.goto(`${rt.url}/ui/#/agents`);
      await watching.locator('table.agents tbody tr').filter({ hasText: 'gpu1' }).waitFor();
      expect(await watching.locator('[data-action]').count()).toBe(0);
      const forged = await fetch(`${rt.url}/api/v1/agents/gpu1`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ disabled: true }),
      });
      expect(forged.status).toBe(403);
      await watching.goto(`${rt.url}/ui/#/apps`);
      await watching.getByText('No applications registered.').waitFor();
    }),
  );

  it(
    'asks for a token and refuses a bad one',
    watched('login', async () => {
      const context = await browser.newContext({ locale: 'en-US' });
      const page = await context.newPage();
      open.push({ name: 'anonymous', page, context });
      await page.goto(`${rt.url}/ui/#/runs`);
      await page.locator('input[name=token]').fill('ry_not-a-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('That token is not valid (unknown or revoked).').waitFor();
      expect(await page.locator('table').count()).toBe(0);
      await page.screenshot({ path: join(OUT, 'login-refused.png') });
    }),
  );

  it('serves the page itself from /ui/ with no token, under a policy that allows only this origin', async () => {
    const page = await fetch(`${rt.url}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" crossorigin src="/ui/assets/');
    const bare = await fetch(`${rt.url}/ui`, { redirect: 'manual' });
    expect({ status: bare.status, location: bare.headers.get('location') }).toEqual({ status: 301, location: '/ui/' });
    expect((await fetch(`${rt.url}/ui/assets/nothing-here.js`)).status).toBe(404);
    // The data behind it is the API's, token and role checked as for any client.
    expect((await fetch(`${rt.url}/api/v1/me`)).status).toBe(401);
    expect((await call(rt.url, 'GET', '/api/v1/me', undefined, viewer)).body).toEqual({ name: 'watcher', role: 'viewer' });
  });

  it('lists runs by profile, agent and requester with a total, and answers 400 for a bad filter', async () => {
    behave(rt, 'w004', { seconds: 0 });
    const first = await submit('w004');
    await eventually(async () => (await statusOf(first)) === 'COMPLETED', 20_000, 'the run to complete');
    const byRequester = await asAdmin('GET', '/api/v1/runs?requester=bootstrap&profile=LOCAL_NO_MODULE&limit=1');
    expect(byRequester.status).toBe(200);
    expect(byRequester.body.runs).toHaveLength(1);
    expect(byRequester.body.total).toBeGreaterThanOrEqual(3);
    const older = await asAdmin('GET', `/api/v1/runs?requester=bootstrap&limit=1&before=${byRequester.body.next_before}`);
    expect(older.body.runs[0].id).toBeLessThan(byRequester.body.runs[0].id);
    expect((await asAdmin('GET', '/api/v1/runs?requester=night-shift')).body).toMatchObject({ total: 1, runs: [{ expid: 'w002' }] });
    expect((await asAdmin('GET', '/api/v1/runs?agent=gpu1')).body).toEqual({ runs: [], next_before: null, total: 0 });
    for (const bad of ['agent=../etc', `profile=${'p'.repeat(129)}`, `requester=${'r'.repeat(256)}`, 'status=DONE', 'limit=0']) {
      const res = await asAdmin('GET', `/api/v1/runs?${bad}`);
      expect({ bad, status: res.status, error: res.body.error }).toEqual({ bad, status: 400, error: true });
    }
  });

  it('resubmits only a finished run, for an operator', async () => {
    behave(rt, 'w005', { seconds: 120 });
    const id = await submit('w005');
    expect((await call(rt.url, 'POST', `/api/v1/runs/${id}/resubmit`, undefined, viewer)).status).toBe(403);
    const busy = await call(rt.url, 'POST', `/api/v1/runs/${id}/resubmit`, undefined, operator);
    expect(busy.status).toBe(409);
    expect(busy.body.error_message).toMatch(new RegExp(`^run ${id} is (QUEUED|STARTING|ACTIVE): only a finished run can be resubmitted$`));
    expect((await call(rt.url, 'POST', '/api/v1/runs/999999/resubmit', undefined, operator)).status).toBe(404);
    expect((await call(rt.url, 'POST', `/api/v1/runs/${id}/stop`, {}, operator)).body.status).toBe('TERMINATED');
  });
});
