import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, Browser } from 'playwright-core';
import { behave } from './support/fake-autosubmit';
import { eventually } from './support/http';
import { profilesYaml, ROOT, RunyardUnderTest, startRunyard } from './support/runyard';

const ADMIN = 'dashboard-admin-secret';
/** Screenshots for people to look at: kept by CI as artifacts. */
const ARTIFACTS = join(ROOT, '.ci', 'artifacts');

/** Bull Board at /admin/queues, in a real browser (Debian's Chromium driven by playwright-core). */
describe('queue dashboard', () => {
  let rt: RunyardUnderTest;
  let browser: Browser;
  let viewerToken: string;
  const api = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(rt.url + path, {
      ...init,
      headers: { authorization: `Bearer ${init.token ?? ADMIN}`, 'content-type': 'application/json', ...init.headers },
    });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    rt = await startRunyard({ config: profilesYaml(), env: { AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: ADMIN } });
    viewerToken = (
      await (await api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ name: 'watcher', role: 'viewer' }) })).json()
    ).token;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.close();
  });

  const basic = (password: string) => `Basic ${Buffer.from(`anyone:${password}`).toString('base64')}`;

  it('refuses anonymous requests, bad tokens and non-admin tokens (Nest guards do not cover it)', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/queue/runyard-runs']) {
      const anonymous = await fetch(rt.url + path);
      expect({ path, status: anonymous.status }).toEqual({ path, status: 401 });
      expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
      expect((await fetch(rt.url + path, { headers: { authorization: basic('not-a-token') } })).status).toBe(401);
      expect((await fetch(rt.url + path, { headers: { authorization: basic(viewerToken) } })).status).toBe(403);
      expect((await fetch(rt.url + path, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(401);
    }
  });

  it('shows every queue and a job with its run id, experiment and the tail of its output, in a browser', async () => {
    behave(rt, 'd001', { seconds: 0 });
    const run = await (
      await api('/api/v1/runs', { method: 'POST', body: JSON.stringify({ expid: 'd001', profile_name: 'LOCAL_NO_MODULE' }) })
    ).json();
    await eventually(async () => (await (await api(`/api/v1/runs/${run.id}`)).json()).status === 'COMPLETED');

    // Without credentials the browser gets the Basic challenge and no page.
    const refused = await browser.newPage();
    await expect(refused.goto(`${rt.url}/admin/queues`)).rejects.toThrow(/AUTH/);
    await refused.close();

    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: ADMIN } });
    const page = await context.newPage();
    await page.goto(`${rt.url}/admin/queues`);
    for (const queue of ['runyard-runs', 'runyard-commands', 'runyard-kernel']) await page.getByText(queue).first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'bull-board-queues.png'), fullPage: true });

    await page.goto(`${rt.url}/admin/queues/queue/runyard-runs/run-${run.id}`);
    await page.getByText('"d001"').waitFor();
    await page.getByText(`runId:`).waitFor();
    await eventually(
      async () => {
        await page.getByText('Logs', { exact: true }).click();
        return (await page.content()).includes('Running experiment d001');
      },
      10_000,
      'the output tail in the job log',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'bull-board-job.png'), fullPage: true });
    await context.close();
  });
});
