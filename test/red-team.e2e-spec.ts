import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { profilesYaml, RunyardUnderTest, startRunyard } from './support/runyard';

const BOOTSTRAP = 'red-team-bootstrap-admin-secret';
const SECRET = 'red-team-key-0f-profile-2026';
/** Markup that runs code if a page ever takes it for HTML: each sets window.__xss. */
const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><svg onload="window.__xss=3">';

/** A profile that runs shell scripts on the worker, with or without the secret an admin may take back. */
const scriptProfile = (extra: string, runtimes = '[shell]') => `
    RED_SCRIPTS:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SCRIPT_RUNTIMES: ${runtimes}
${extra}`;

/** The attacker's side of what Runyard gained on 2026-12-07: resubmission, the new list filters, viewer reads. */
describe('red team', () => {
  let rt: RunyardUnderTest;
  const tokens: Record<string, string> = {};
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(rt.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      /* plain text */
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of many shapes
    return { status: res.status, body: json as Record<string, any>, text };
  };
  const ended = async (id: number) => {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const r = await call('GET', `/api/v1/runs/${id}`, tokens.viewer);
      if (['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'].includes(r.body.status)) return r.body;
    }
    throw new Error(`run ${id} did not end`);
  };
  const output = async (id: number) => (await call('GET', `/api/v1/runs/${id}/logs`, tokens.viewer)).text;
  const withProfile = async (extra: string) => {
    writeFileSync(join(rt.dir, 'runyard.yaml'), profilesYaml(extra));
    await rt.restartApi();
  };

  beforeAll(async () => {
    rt = await startRunyard({
      config: profilesYaml(scriptProfile('      SECRETS: [RED_KEY]\n')),
      env: { AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: BOOTSTRAP, RED_KEY: SECRET },
    });
    for (const role of ['viewer', 'operator']) {
      const res = await call('POST', '/api/v1/tokens', BOOTSTRAP, { name: `red-${role}`, role });
      expect(res.status).toBe(201);
      tokens[role] = res.body.token;
    }
  });
  afterAll(() => rt?.close());

  it('an operator resubmitting an old run does not get back what an admin took from its profile: a secret, a script language, the profile', async () => {
    const script = { language: 'shell', code: 'echo "key:${RED_KEY:+present}"', profile_name: 'RED_SCRIPTS' };
    const first = await call('POST', '/api/v1/scripts/run', tokens.operator, script);
    expect(first.status).toBe(202);
    expect((await ended(first.body.id)).status).toBe('COMPLETED');
    expect(await output(first.body.id)).toContain('key:present');

    // A viewer may not resubmit at all.
    expect((await call('POST', `/api/v1/runs/${first.body.id}/resubmit`, tokens.viewer)).status).toBe(403);

    // The admin takes the secret away from the profile (the worker's environment still has it).
    await withProfile(scriptProfile(''));
    const again = await call('POST', `/api/v1/runs/${first.body.id}/resubmit`, tokens.operator);
    expect(again.status).toBe(202);
    expect((await ended(again.body.id)).status).toBe('COMPLETED');
    expect(await output(again.body.id)).toContain('key:\n');

    // The admin deletes the profile: a run that had its secret is not replayed with it.
    await withProfile(scriptProfile('      SECRETS: [RED_KEY]\n'));
    const granted = await call('POST', `/api/v1/runs/${first.body.id}/resubmit`, tokens.operator);
    expect(granted.status).toBe(202);
    expect(await output((await ended(granted.body.id)).id)).toContain('key:present');
    await withProfile('');
    const gone = await call('POST', `/api/v1/runs/${first.body.id}/resubmit`, tokens.operator);
    expect(gone).toMatchObject({ status: 409, body: { error: true, error_message: expect.stringContaining('no longer exists') } });

    // The admin no longer lets the profile run shell scripts on its host: an old one is not run there again.
    await withProfile(scriptProfile('', '[python]'));
    const refused = await call('POST', `/api/v1/runs/${again.body.id}/resubmit`, tokens.operator);
    expect(refused).toMatchObject({ status: 409, body: { error_message: expect.stringContaining('no longer runs shell scripts') } });
    await withProfile(scriptProfile(''));
  });

  it('renders a run’s output, its returned data and an agent’s name as text: stored markup never runs in a viewer’s page', async () => {
    const agent = await call('POST', '/api/v1/agents', BOOTSTRAP, { id: 'red-agent', name: XSS, tags: ['red'] });
    expect(agent.status).toBe(201);
    // No single quote in XSS: each printf argument is one single-quoted shell word.
    const code = `printf '%s\\n' '${XSS}'; printf '__SCRIPTRETURN__%s\\n' '${JSON.stringify({ html: XSS })}'`;
    const run = await call('POST', '/api/v1/scripts/run', tokens.operator, { language: 'shell', code, profile_name: 'RED_SCRIPTS' });
    expect(run.status).toBe(202);
    const done = await ended(run.body.id);
    expect(done.result).toMatchObject({ return_data: { html: XSS } });

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${rt.url}/ui/`);
      await page.locator('input[name=token]').fill(tokens.viewer);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('nav.top .who').waitFor();
      await page.goto(`${rt.url}/ui/#/runs/${run.body.id}`);
      await page.locator('#log .line').first().waitFor();
      expect(await page.locator('#log').textContent()).toContain(XSS);
      expect(await page.locator('pre.result').textContent()).toContain('<img src=x onerror=');
      await page.goto(`${rt.url}/ui/#/agents`);
      await page.getByText(XSS, { exact: false }).first().waitFor();
      expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
      expect(await page.locator('img, svg, main script, #app script').count()).toBe(0);
    } finally {
      await browser.close();
    }
  });

  it('serves the web UI’s page uncached under every name, so a fixed page reaches every browser', async () => {
    for (const path of ['/ui/', '/ui/index.html', '/ui/runs']) {
      const res = await fetch(rt.url + path);
      expect({ path, status: res.status, cache: res.headers.get('cache-control') }).toEqual({ path, status: 200, cache: 'no-cache' });
    }
  });
});
