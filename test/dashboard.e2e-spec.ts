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
  /** The admin's JSON call. */
  const api = async (path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(rt.url + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    rt = await startRunyard({ config: profilesYaml(), env: { AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: ADMIN } });
    viewerToken = (await api('/api/v1/tokens', { name: 'watcher', role: 'viewer' })).token as string;
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

  /** The jobs of the runs queue in one state, as the dashboard's own API lists them. */
  const boardJobs = async (status: string): Promise<{ id: string; name: string; failedReason?: string }[]> => {
    const res = await fetch(`${rt.url}/admin/queues/api/queues?activeQueue=runyard-runs&status=${status}&page=1&jobsPerPage=50`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const body = (await res.json()) as { queues: { name: string; jobs: { id: string; name: string; failedReason?: string }[] }[] };
    return body.queues.find((q) => q.name === 'runyard-runs')?.jobs ?? [];
  };

  const basic = (password: string) => `Basic ${Buffer.from(`anyone:${password}`).toString('base64')}`;

  it('refuses anonymous requests, bad tokens and non-admin tokens (Nest guards do not cover it)', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/queue/runyard-runs']) {
      // A Bearer admin token works too (scripts); a browser uses Basic.
      const anonymous = await fetch(rt.url + path);
      expect({ path, status: anonymous.status }).toEqual({ path, status: 401 });
      expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
      expect((await fetch(rt.url + path, { headers: { authorization: basic('not-a-token') } })).status).toBe(401);
      expect((await fetch(rt.url + path, { headers: { authorization: basic(viewerToken) } })).status).toBe(403);
      expect((await fetch(rt.url + path, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
    }
  });

  it('shows every queue and a job named for its experiment, with its run id and the tail of its output, in a browser', async () => {
    behave(rt, 'd001', { seconds: 0 });
    const run = await api('/api/v1/runs', { expid: 'd001', profile_name: 'LOCAL_NO_MODULE' });
    await eventually(async () => (await api(`/api/v1/runs/${run.id}`)).status === 'COMPLETED');

    // Without credentials the browser gets the Basic challenge and no page.
    const refused = await browser.newPage();
    await expect(refused.goto(`${rt.url}/admin/queues`)).rejects.toThrow(/AUTH/);
    await refused.close();

    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: ADMIN } });
    const page = await context.newPage();
    await page.goto(`${rt.url}/admin/queues`);
    for (const queue of ['runyard-runs', 'runyard-commands', 'runyard-kernel']) await page.getByText(queue).first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'bull-board-queues.png'), fullPage: true });

    // The completed tab lists the job by its experiment.
    await page.goto(`${rt.url}/admin/queues/queue/runyard-runs?status=completed`);
    await page.getByText('run d001').first().waitFor();
    const job = (await boardJobs('completed')).find((j) => j.name === 'run d001');
    expect(job).toBeDefined();
    await page.goto(`${rt.url}/admin/queues/queue/runyard-runs/${job!.id}`);
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

  it('lists a run that failed in the Failed tab, with its detail as the failed reason', async () => {
    behave(rt, 'd002', { seconds: 0, exit: 3 });
    const run = await api('/api/v1/runs', { expid: 'd002', profile_name: 'LOCAL_NO_MODULE' });
    await eventually(async () => (await api(`/api/v1/runs/${run.id}`)).status === 'FAILED');
    const failed = await eventually(async () => (await boardJobs('failed')).find((j) => j.name === 'run d002'), 10_000, 'the failed job');
    expect(failed).toMatchObject({ failedReason: 'exit code 3' });
    expect((await boardJobs('completed')).some((j) => j.name === 'run d002')).toBe(false);
  });

  it('documents every route with request and response schemas and the token scheme at /docs-json, and renders /docs', async () => {
    expect((await fetch(`${rt.url}/docs-json`)).status).toBe(401);
    expect((await fetch(`${rt.url}/docs`)).status).toBe(401);
    const doc = (await (await fetch(`${rt.url}/docs-json`, { headers: { authorization: `Bearer ${viewerToken}` } })).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: unknown; responses: Record<string, { content?: unknown }>; security: unknown[] }>
      >;
      components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
    };
    const routes = [
      'post /api/v1/runs',
      'get /api/v1/runs',
      'get /api/v1/runs/{id}',
      'get /api/v1/runs/{id}/logs',
      'post /api/v1/runs/{id}/stop',
      'get /v4/runners/configuration/ssh-public-keys',
      'get /v4/runners/configuration/profiles',
      'get /v4/runners/configuration/endpoints',
      'post /v4/runners/command/run-experiment',
      'post /v4/runners/command/get-runner-run-status',
      'post /v4/runners/command/stop-experiment',
      'post /v4/runners/command/set-job-status',
      'post /v4/runners/command/create-experiment',
      'post /v4/runners/command/update-experiment-description',
      'get /v4alpha/runner-detail',
      'post /v4alpha/experiments/{expid}/run-experiment',
      'get /v4alpha/experiments/{expid}/get-runner-status',
      'post /v4alpha/experiments/{expid}/stop-experiment',
      'post /v4alpha/experiments/{expid}/set-job-status',
      'post /v4alpha/experiments/{expid}/create-job-list',
      'post /v4alpha/runner-create-experiment',
      'post /api/v1/builds/run',
      'post /api/v1/tests/run',
      'post /api/v1/boot-test/run',
      'get /api/v1/builds',
      'get /api/v1/builds/{id}',
      'get /api/v1/tests',
      'get /api/v1/tests/{id}',
      'post /api/v1/sync/results',
      'post /api/v1/sync/builds',
      'post /api/v1/tuxsuite/callback/{kind}',
      'post /api/v1/tokens',
      'get /api/v1/tokens',
      'delete /api/v1/tokens/{id}',
      'get /api/v1/audit',
      'get /health',
      'get /health/ready',
      'get /metrics',
    ];
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual([...routes].sort());
    for (const route of routes) {
      const [method, path] = route.split(' ');
      const op = doc.paths[path][method];
      const success = Object.entries(op.responses).find(([status]) => status.startsWith('2'));
      expect({ route, success: !!success }).toEqual({ route, success: true });
      expect(op.responses['400']).toBeDefined();
      const isPublic = ['get /health', 'get /health/ready', 'post /api/v1/tuxsuite/callback/{kind}', 'get /metrics'].includes(route);
      expect({ route, security: op.security }).toEqual({ route, security: isPublic ? [] : [{ token: [] }] });
    }
    expect(doc.paths['/v4/runners/command/run-experiment'].post.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/RunExperimentDto' } } },
    });
    expect(doc.components.schemas.RunExperimentDto).toMatchObject({
      properties: { expid: { type: 'string' } },
      required: expect.arrayContaining(['expid', 'profile_name']),
    });
    expect(doc.components.securitySchemes.token).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.Environment).toBeUndefined();

    const context = await browser.newContext({ httpCredentials: { username: 'me', password: viewerToken } });
    const page = await context.newPage();
    await page.goto(`${rt.url}/docs`);
    await page.getByText('/v4/runners/command/run-experiment').first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'openapi-docs.png') });
    await context.close();
  });
});
