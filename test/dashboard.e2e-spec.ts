import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, Browser } from 'playwright-core';
import { behave } from './support/fake-autosubmit';
import { eventually } from './support/http';
import { profilesYaml, ROOT, RunyardUnderTest, startRunyard } from './support/runyard';

const ADMIN = 'dashboard-admin-secret';
const TAGS =
  /^(Autosubmit v4|Autosubmit v4alpha|Runs|Schedules|Runner SDK|Runner SDK executors|Kernel CI|TuxSuite callbacks|Tokens|Operations|Agents|Agent protocol)$/;

/** What runner agents call, with their own secret or a run's job token (no API token): public in the document. */
const AGENT_PROTOCOL_ROUTES = [
  'post /api/v1/agents/{agentId}/heartbeat',
  'post /api/v1/agents/{agentId}/poll',
  'post /api/v1/agents/{agentId}/rotate',
  'post /api/v1/agents/{agentId}/commands/{commandId}/result',
  'get /api/v1/agent-jobs/{runId}',
  'post /api/v1/agent-jobs/{runId}/accept',
  'post /api/v1/agent-jobs/{runId}/decline',
  'post /api/v1/agent-jobs/{runId}/started',
  'post /api/v1/agent-jobs/{runId}/output',
  'post /api/v1/agent-jobs/{runId}/finish',
  'post /api/settings/runner-hosts/{runnerId}/register',
];
const AGENT_ROUTES = [
  'post /api/v1/scripts/run',
  'post /api/v1/agents',
  'get /api/v1/agents',
  'get /api/v1/agents/{agentId}',
  'patch /api/v1/agents/{agentId}',
  'post /api/v1/agents/{agentId}/rotate-secret',
  'delete /api/v1/agents/{agentId}',
  ...AGENT_PROTOCOL_ROUTES,
];

type Schema = Record<string, unknown>;

interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  tags: { name: string }[];
  paths: Record<
    string,
    Record<
      string,
      {
        summary?: string;
        tags?: string[];
        parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
        requestBody?: { content?: Record<string, { schema?: Schema; example?: unknown }> };
        responses: Record<string, { content?: Record<string, { schema?: Schema; example?: unknown }>; description?: string }>;
        security: Record<string, string[]>[];
        operationId?: string;
      }
    >
  >;
  components: { securitySchemes: Record<string, Record<string, unknown>>; schemas: Record<string, Schema> };
}

/**
 * Where an example breaks its schema (types, required properties, enums, nullability), $refs
 * followed: an example that drifted from what the presenter answers shows here.
 */
function exampleProblems(value: unknown, schema: Schema, doc: OpenApi, where: string): string[] {
  if (value === null && schema.nullable === true) return [];
  if (typeof schema.$ref === 'string') return exampleProblems(value, doc.components.schemas[schema.$ref.split('/').pop()!], doc, where);
  const alternatives = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (alternatives) {
    return alternatives.some((s) => exampleProblems(value, s, doc, where).length === 0)
      ? []
      : [`${where}: matches none of its alternatives`];
  }
  if (schema.allOf) return (schema.allOf as Schema[]).flatMap((s) => exampleProblems(value, s, doc, where));
  if (value === null) return schema.nullable === true || !schema.type ? [] : [`${where}: null but not nullable`];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return [`${where}: ${JSON.stringify(value)} is not one of its enum`];
  const type = schema.type as string | undefined;
  if (type === 'array') {
    if (!Array.isArray(value)) return [`${where}: not an array`];
    return value.flatMap((v, i) => exampleProblems(v, (schema.items ?? {}) as Schema, doc, `${where}[${i}]`));
  }
  if (type === 'object' || schema.properties) {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${where}: not an object`];
    const v = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    return [
      ...((schema.required ?? []) as string[]).filter((k) => !(k in v)).map((k) => `${where}.${k}: required, missing`),
      ...Object.entries(v).flatMap(([k, x]) => (properties[k] ? exampleProblems(x, properties[k], doc, `${where}.${k}`) : [])),
    ];
  }
  if (type === 'integer') return Number.isInteger(value) ? [] : [`${where}: not an integer`];
  if (type === 'number') return typeof value === 'number' ? [] : [`${where}: not a number`];
  if (type === 'boolean') return typeof value === 'boolean' ? [] : [`${where}: not a boolean`];
  if (type === 'string') return typeof value === 'string' ? [] : [`${where}: not a string`];
  return [];
}

/**
 * The structural rules of OpenAPI 3.0 a client generator relies on: version, info, path templates
 * and their parameters, responses per operation, unique operation ids, security schemes and tags
 * that exist, and every $ref resolving.
 */
function openApi3Problems(doc: OpenApi): string[] {
  const problems: string[] = [];
  if (!/^3\.0\.\d+$/.test(doc.openapi)) problems.push(`openapi ${doc.openapi} is not 3.0.x`);
  if (!doc.info?.title || !doc.info?.version) problems.push('info needs title and version');
  const tags = new Set(doc.tags.map((t) => t.name));
  const ids = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) problems.push(`${path}: paths start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(ops)) {
      const where = `${method} ${path}`;
      if (!['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'].includes(method)) problems.push(`${where}: method`);
      if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${where}: no responses`);
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) problems.push(`${where}: response ${status}`);
        if (typeof r.description !== 'string') problems.push(`${where}: response ${status} has no description`);
      }
      if (op.operationId) {
        if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} repeats`);
        ids.add(op.operationId);
      }
      const params = op.parameters ?? [];
      for (const p of params) {
        if (!['path', 'query', 'header', 'cookie'].includes(p.in)) problems.push(`${where}: parameter ${p.name} in ${p.in}`);
        if (p.in === 'path' && (p.required !== true || !templated.includes(p.name))) problems.push(`${where}: path parameter ${p.name}`);
        if (!p.schema) problems.push(`${where}: parameter ${p.name} has no schema`);
      }
      for (const name of templated) {
        if (!params.some((p) => p.in === 'path' && p.name === name)) problems.push(`${where}: {${name}} is not a parameter`);
      }
      for (const requirement of op.security ?? []) {
        for (const scheme of Object.keys(requirement))
          if (!(scheme in doc.components.securitySchemes)) problems.push(`${where}: ${scheme}`);
      }
      for (const tag of op.tags ?? []) if (!tags.has(tag)) problems.push(`${where}: tag ${tag} is not declared`);
    }
  }
  const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
  for (const ref of refs) {
    const target = ref.slice(8, -1);
    const found = target
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
    if (found === undefined) problems.push(`${target} does not resolve`);
  }
  return problems;
}
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
  type BoardJob = { id: string; name: string; failedReason?: string; externalUrl?: { href: string; displayText?: string } };
  type BoardQueue = { name: string; readOnlyMode: boolean; allowRetries: boolean; jobs: BoardJob[] };
  /** The queues as the dashboard's own API lists them, with the runs queue's jobs in one state. */
  const boardQueues = async (status: string): Promise<BoardQueue[]> => {
    const res = await fetch(`${rt.url}/admin/queues/api/queues?activeQueue=runyard-runs&status=${status}&page=1&jobsPerPage=50`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    return ((await res.json()) as { queues: BoardQueue[] }).queues;
  };
  const boardJobs = async (status: string): Promise<BoardJob[]> =>
    (await boardQueues(status)).find((q) => q.name === 'runyard-runs')?.jobs ?? [];

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

  it('goes through the one request pipeline: request id, log line, and its write actions audited with the token name', async () => {
    const page = await fetch(`${rt.url}/admin/queues`, { headers: { authorization: basic(ADMIN) } });
    expect(page.status).toBe(200);
    const requestId = page.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    expect(page.headers.get('x-powered-by')).toBeNull();
    const clean = await fetch(`${rt.url}/admin/queues/api/queues/runyard-kernel/clean/completed`, {
      method: 'PUT',
      headers: { authorization: basic(ADMIN) },
    });
    expect(clean.status).toBe(200);
    const audit = await eventually(async () => {
      const rows = (await (await fetch(`${rt.url}/api/v1/audit`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
        actor: string;
        method: string;
        path: string;
        status: number;
      }[];
      return rows.find((r) => r.path === '/admin/queues/api/queues/runyard-kernel/clean/completed');
    });
    expect(audit).toMatchObject({ actor: 'bootstrap', method: 'PUT', status: 200 });
    const log = readFileSync(join(rt.dir, 'runyard.log'), 'utf8');
    expect(log).toContain(`"id":"${requestId}"`);
  });

  it('shows every queue and a job named for its run and experiment, with its run id and the tail of its output, in a browser', async () => {
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

    // The completed tab lists the job by its run and experiment.
    await page.goto(`${rt.url}/admin/queues/queue/runyard-runs?status=completed`);
    await page.getByText(`run ${run.id} · Autosubmit d001 run`).first().waitFor();
    const job = (await boardJobs('completed')).find((j) => j.name === `run ${run.id} · Autosubmit d001 run`);
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
    const title = `run ${run.id} · Autosubmit d002 run`;
    const failed = await eventually(async () => (await boardJobs('failed')).find((j) => j.name === title), 10_000, 'the failed job');
    expect(failed).toMatchObject({ failedReason: 'exit code 3' });
    expect((await boardJobs('completed')).some((j) => j.name === title)).toBe(false);
  });

  it('lists a stopped run as TERMINATED in the Failed tab, never as completed', async () => {
    behave(rt, 'd004', { seconds: 30 });
    const run = await api('/api/v1/runs', { expid: 'd004', profile_name: 'LOCAL_NO_MODULE' });
    await eventually(async () => (await api(`/api/v1/runs/${run.id}`)).status === 'ACTIVE');
    await api(`/api/v1/runs/${run.id}/stop`, {});
    await eventually(async () => (await api(`/api/v1/runs/${run.id}`)).status === 'TERMINATED', 20_000);
    const title = `run ${run.id} · Autosubmit d004 run`;
    const job = await eventually(async () => (await boardJobs('failed')).find((j) => j.name === title), 10_000, 'the stopped job');
    expect(job.failedReason).toMatch(/^TERMINATED: /);
    expect((await boardJobs('completed')).some((j) => j.name === title)).toBe(false);
  });

  it('offers no retry, promote, clean or add on the run queues, and links a run’s job to the run’s page', async () => {
    behave(rt, 'd003', { seconds: 0, exit: 4 });
    const run = await api('/api/v1/runs', { expid: 'd003', profile_name: 'LOCAL_NO_MODULE' });
    await eventually(async () => (await api(`/api/v1/runs/${run.id}`)).status === 'FAILED');
    const title = `run ${run.id} · Autosubmit d003 run`;
    const job = await eventually(async () => (await boardJobs('failed')).find((j) => j.name === title), 10_000, 'the failed job');
    expect(job.externalUrl).toEqual({ displayText: `run ${run.id} in Runyard`, href: `/ui/#/runs/${run.id}` });
    const queues = await boardQueues('failed');
    for (const name of ['runyard-runs', 'runyard-commands']) {
      expect(queues.find((q) => q.name === name)).toMatchObject({ readOnlyMode: true, allowRetries: false });
    }

    // What the buttons would send, sent by hand with an admin token: refused, and nothing changes.
    const board = `${rt.url}/admin/queues/api/queues/runyard-runs`;
    const put = (path: string) => fetch(board + path, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN}` } });
    for (const path of [`/${job.id}/retry`, '/retry/failed', `/${job.id}/promote`, '/promote', `/${job.id}/clean`, '/clean/failed']) {
      expect({ path, status: (await put(path)).status }).toEqual({ path, status: 405 });
    }
    const added = await fetch(`${board}/add`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'run d003', data: { runId: run.id }, options: {} }),
    });
    expect(added.status).toBe(405);
    expect((await boardJobs('failed')).find((j) => j.id === job.id)).toMatchObject({ name: title, failedReason: 'exit code 4' });
    expect((await api(`/api/v1/runs/${run.id}`)).status).toBe('FAILED');

    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: ADMIN } });
    const page = await context.newPage();
    await page.goto(`${rt.url}/admin/queues/queue/runyard-runs?status=failed`);
    await page.getByText(title).first().waitFor();
    await page.getByText('exit code 4').first().waitFor();
    expect(await page.getByRole('button', { name: /retry|promote|clean/i }).count()).toBe(0);
    const toRun = page.getByRole('link', { name: `run ${run.id} in Runyard` }).first();
    expect(await toRun.getAttribute('href')).toBe(`/ui/#/runs/${run.id}`);
    await page.screenshot({ path: join(ARTIFACTS, 'bull-board-run-job-read-only.png'), fullPage: true });
    await context.close();
  });

  it('documents every route with request and response schemas and the token scheme at /docs-json, and renders /docs', async () => {
    for (const page of ['/docs-json', '/docs-yaml', '/docs/swagger-ui.css', '/docs/runyard-init.js']) {
      expect({ page, status: (await fetch(rt.url + page)).status }).toEqual({ page, status: 401 });
    }
    expect((await fetch(`${rt.url}/docs`)).status).toBe(401);
    const doc = (await (await fetch(`${rt.url}/docs-json`, { headers: { authorization: `Bearer ${viewerToken}` } })).json()) as OpenApi;
    const routes = [
      'post /api/v1/runs',
      'get /api/v1/runs',
      'get /api/v1/runs/{id}',
      'get /api/v1/runs/{id}/logs',
      'post /api/v1/runs/{id}/stop',
      'post /api/v1/runs/{id}/resubmit',
      'post /api/v1/schedules',
      'get /api/v1/schedules',
      'get /api/v1/schedules/{name}',
      'post /api/v1/schedules/{name}/pause',
      'post /api/v1/schedules/{name}/resume',
      'delete /api/v1/schedules/{name}',
      'get /api/v1/packages/{sha}',
      'put /api/v1/packages/{sha}',
      'delete /api/v1/packages/{sha}',
      'post /api/v1/applications',
      'get /api/v1/applications',
      'get /api/v1/applications/{app}',
      'post /api/v1/applications/{app}/lease',
      'delete /api/v1/applications/{app}',
      'post /api/v1/sessions',
      'get /api/v1/sessions',
      'get /api/v1/sessions/{id}',
      'delete /api/v1/sessions/{id}',
      'post /api/v1/sessions/{id}/calls',
      'get /api/v1/sessions/{id}/calls',
      'get /api/v1/sessions/{id}/results',
      'get /api/v1/objects/{app}/{session}/{object}',
      'put /api/v1/objects/{app}/{session}',
      'delete /api/v1/objects/{app}',
      'get /api/v1/executor/session',
      'get /api/v1/executor/package',
      'get /api/v1/executor/objects/{app}/{session}/{object}',
      'post /api/v1/executor/calls',
      'put /api/v1/executor/uploads/calls/{call}',
      'put /api/v1/executor/uploads/state/{version}',
      'post /api/v1/executor/exchange',
      'post /api/v1/executor/fatal',
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
      'post /api/v1/tests/submit',
      'post /api/v1/builds',
      'post /api/v1/tests',
      'post /api/v1/sync/results',
      'post /api/v1/sync/builds',
      'post /api/v1/tuxsuite/callback/{kind}',
      'post /api/v1/tokens',
      'get /api/v1/tokens',
      'delete /api/v1/tokens/{id}',
      'get /api/v1/audit',
      'get /api/v1/me',
      'get /health',
      'get /health/ready',
      'get /metrics',
      'get /docs',
      'get /docs-json',
      'get /docs-yaml',
      'get /admin/queues',
      'get /ui/',
      ...AGENT_ROUTES,
    ];
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual([...routes].sort());
    for (const route of routes) {
      const [method, path] = route.split(' ');
      const op = doc.paths[path][method];
      const success = Object.entries(op.responses).find(([status]) => status.startsWith('2'));
      expect({ route, success: !!success }).toEqual({ route, success: true });
      // The door refuses bad paths, queries and bodies on every route.
      expect({ route, has400: '400' in op.responses }).toEqual({ route, has400: true });
      // Every answer with a body shows an example of it, true to its schema.
      for (const [status, answer] of Object.entries(op.responses)) {
        for (const [media, { schema, example }] of Object.entries(answer.content ?? {})) {
          if (status.startsWith('2')) expect({ route, media, example: example !== undefined }).toEqual({ route, media, example: true });
          if (schema && media === 'application/json') expect(exampleProblems(example, schema, doc, `${route} ${status}`)).toEqual([]);
        }
      }
      const isPublic =
        ['get /health', 'get /health/ready', 'post /api/v1/tuxsuite/callback/{kind}', 'get /ui/'].includes(route) ||
        AGENT_PROTOCOL_ROUTES.includes(route);
      const isPage = ['get /docs', 'get /docs-json', 'get /docs-yaml', 'get /admin/queues'].includes(route);
      const isExecutor = route.includes(' /api/v1/executor/');
      const security = isExecutor ? [{ executor: [] }] : isPublic ? [] : isPage ? [{ token: [] }, { basic: [] }] : [{ token: [] }];
      expect({ route, security: op.security }).toEqual({ route, security });
      expect({ route, summary: typeof op.summary === 'string' && op.summary.length > 0 }).toEqual({ route, summary: true });
      expect({ route, tags: op.tags }).toEqual({ route, tags: [expect.stringMatching(TAGS)] });
    }
    expect(doc.tags.map((t) => t.name).sort()).toEqual(
      [
        'Autosubmit v4',
        'Autosubmit v4alpha',
        'Runs',
        'Schedules',
        'Runner SDK',
        'Runner SDK executors',
        'Kernel CI',
        'TuxSuite callbacks',
        'Tokens',
        'Operations',
        'Agents',
        'Agent protocol',
      ].sort(),
    );
    const queryOf = (route: string) =>
      (doc.paths[route.split(' ')[1]][route.split(' ')[0]].parameters ?? [])
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort();
    expect(queryOf('get /api/v1/runs')).toEqual(['agent', 'before', 'expid', 'kind', 'limit', 'profile', 'requester', 'status']);
    expect(queryOf('get /api/v1/runs/{id}/logs')).toEqual(['follow']);
    expect(queryOf('get /v4alpha/runner-detail')).toEqual(['module_loader', 'modules', 'runner']);
    expect(queryOf('get /api/v1/builds')).toEqual(['limit', 'state']);
    expect(queryOf('get /api/v1/tests')).toEqual(['limit', 'state']);
    expect(queryOf('get /api/v1/audit')).toEqual(['limit']);
    expect(doc.paths['/api/v1/runs/{id}'].get.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: 2147483647 } },
    ]);
    expect(doc.paths['/api/v1/schedules/{name}/pause'].post.parameters).toEqual([
      { name: 'name', in: 'path', required: true, schema: expect.objectContaining({ type: 'string', pattern: expect.any(String) }) },
    ]);
    expect(doc.components.schemas.CreateScheduleDto).toMatchObject({
      properties: { cron: { type: 'string', maxLength: 128 }, overlap: { enum: ['skip', 'queue'] } },
      required: expect.arrayContaining(['name', 'cron', 'expid', 'profile_name']),
    });
    expect(openApi3Problems(doc)).toEqual([]);
    const yaml = await fetch(`${rt.url}/docs-yaml`, { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(yaml.status).toBe(200);
    expect(await yaml.text()).toMatch(/^openapi: 3\.0\.0/);
    expect(doc.paths['/v4/runners/command/run-experiment'].post.requestBody).toEqual({
      required: true,
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/RunExperimentDto' },
          example: { expid: 'a001', profile_name: 'LOCAL_CONDA' },
        },
      },
    });
    expect(doc.components.schemas.RunExperimentDto).toMatchObject({
      properties: { expid: { type: 'string' } },
      required: expect.arrayContaining(['expid', 'profile_name']),
    });
    // Opaque tokens: no JWT format, the ry_ form described.
    for (const scheme of ['token', 'executor']) expect(doc.components.securitySchemes[scheme].bearerFormat).toBeUndefined();
    expect(doc.components.securitySchemes.token).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      description: expect.stringContaining('ry_<id>_<secret>'),
    });
    expect(JSON.stringify(doc)).not.toContain('"bearerFormat"');
    // The example token has the very form of a token Runyard issues.
    const tokenForm = /^ry_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/;
    expect(viewerToken).toMatch(tokenForm);
    expect((doc.components.schemas.NewTokenView.properties as Record<string, Schema>).token.example).toMatch(tokenForm);
    expect(doc.components.schemas.Environment).toBeUndefined();

    const context = await browser.newContext({ httpCredentials: { username: 'me', password: viewerToken } });
    const page = await context.newPage();
    await page.goto(`${rt.url}/docs`);
    await page.getByText('/v4/runners/command/run-experiment').first().waitFor();
    // One login: Authorize holds the token the page was opened with (the lock is closed).
    await page.locator('.auth-wrapper .authorize.locked').waitFor();
    type SwaggerUi = { ui: { authSelectors: { authorized: () => { toJS: () => unknown } } } };
    const authorized = await page.evaluate(() => (globalThis as unknown as SwaggerUi).ui.authSelectors.authorized().toJS());
    expect(authorized).toMatchObject({ token: { value: viewerToken } });
    await page.screenshot({ path: join(ARTIFACTS, 'openapi-docs.png') });
    await context.close();
  });

  it('lists for each route the errors it can answer (role, input, its own refusals), and the follow stream as NDJSON and SSE', async () => {
    const doc = (await (await fetch(`${rt.url}/docs-json`, { headers: { authorization: `Bearer ${viewerToken}` } })).json()) as OpenApi;
    const op = (route: string) => doc.paths[route.split(' ')[1]][route.split(' ')[0]];
    const answers = (route: string) => Object.keys(op(route).responses);
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    for (const route of operations) {
      const { security, responses } = op(route);
      const [method] = route.split(' ');
      const needsToken = security.some((s) => 'token' in s);
      // The role the route needs decides 403: a viewer reads, an operator writes, an admin administers.
      if (needsToken && method !== 'get') expect({ route, has403: '403' in responses }).toEqual({ route, has403: true });
      if (needsToken) expect({ route, has401: '401' in responses }).toEqual({ route, has401: true });
      if (!needsToken && security.length === 0 && !AGENT_PROTOCOL_ROUTES.includes(route))
        expect({ route, role403: responses['403']?.description?.includes('role') ?? false }).toEqual({ route, role403: false });
      // Nobody sends a GET a body: no 413 there.
      if (method === 'get')
        expect({ route, bodyTooLarge: /body/.test(responses['413']?.description ?? '') }).toEqual({ route, bodyTooLarge: false });
    }
    const viewerReads = [
      'get /api/v1/runs',
      'get /api/v1/runs/{id}',
      'get /api/v1/runs/{id}/logs',
      'get /api/v1/schedules',
      'get /api/v1/builds',
      'get /api/v1/agents',
      'get /docs',
    ];
    for (const route of viewerReads) expect({ route, has403: answers(route).includes('403') }).toEqual({ route, has403: false });
    expect(op('get /v4alpha/runner-detail').responses['403'].description).toMatch(/needs operator/);
    for (const route of ['post /api/v1/runs', 'post /api/v1/runs/{id}/stop', 'delete /api/v1/schedules/{name}'])
      expect(op(route).responses['403'].description).toMatch(/needs operator .*viewer/);
    for (const route of ['get /api/v1/tokens', 'post /api/v1/tokens', 'get /api/v1/audit', 'post /api/v1/agents', 'get /admin/queues'])
      expect({ route, needs: op(route).responses['403']?.description }).toEqual({
        route,
        needs: expect.stringMatching(/needs admin .*viewer and operator/),
      });
    expect(answers('get /health').sort()).toEqual(['200', '400']);
    expect(answers('get /api/v1/runs/{id}')).toContain('404');
    expect(answers('get /api/v1/runs')).not.toContain('404');
    expect(answers('post /api/v1/runs')).toEqual(expect.arrayContaining(['202', '400', '401', '403', '404', '409', '413', '503']));
    expect(answers('get /api/v1/runs')).not.toContain('409');
    expect(op('post /api/v1/runs').responses['409'].content).toEqual({
      'application/json': expect.objectContaining({ schema: { $ref: '#/components/schemas/ErrorBody' } }),
    });

    // What the server really answers is among what the document lists.
    behave(rt, 'd003', { seconds: 0 });
    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    const viewer = { authorization: `Bearer ${viewerToken}`, 'content-type': 'application/json' };
    const run = (await (
      await fetch(`${rt.url}/api/v1/runs`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ expid: 'd003', profile_name: 'LOCAL_NO_MODULE' }),
      })
    ).json()) as { id: number };
    const tries: [string, string, RequestInit][] = [
      [
        'post /api/v1/runs',
        '/api/v1/runs',
        { method: 'POST', headers: viewer, body: JSON.stringify({ expid: 'd003', profile_name: 'LOCAL_NO_MODULE' }) },
      ],
      ['post /api/v1/runs', '/api/v1/runs', { method: 'POST', headers: admin, body: JSON.stringify({ expid: 'd003' }) }],
      [
        'post /api/v1/runs',
        '/api/v1/runs',
        { method: 'POST', headers: admin, body: JSON.stringify({ expid: 'd004', profile_name: 'NO_SUCH' }) },
      ],
      ['get /api/v1/runs', '/api/v1/runs', {}],
      ['get /api/v1/runs/{id}', '/api/v1/runs/999999', { headers: viewer }],
      ['get /api/v1/tokens', '/api/v1/tokens', { headers: viewer }],
      ['post /api/v1/runs/{id}/stop', `/api/v1/runs/${run.id}/stop`, { method: 'POST', headers: viewer, body: '{}' }],
      ['get /api/v1/runs/{id}', `/api/v1/runs/${run.id}`, { headers: viewer }],
      ['get /api/v1/tokens', '/api/v1/tokens', { headers: admin }],
      // Automn's host route refuses in Automn's shape, as documented.
      [
        'post /api/settings/runner-hosts/{runnerId}/register',
        '/api/settings/runner-hosts/nosuch/register',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ secret: 'x', endpoint: 'http://127.0.0.1:9/' }),
        },
      ],
    ];
    for (const [route, url, init] of tries) {
      const res = await fetch(rt.url + url, init);
      const status = String(res.status);
      expect({ route, status, documented: answers(route).includes(status) }).toEqual({ route, status, documented: true });
      // And the body is what the document says for that status.
      const schema = op(route).responses[status].content?.['application/json']?.schema;
      expect({ route, status, schema: !!schema }).toEqual({ route, status, schema: true });
      expect(exampleProblems(await res.json(), schema!, doc, `${route} ${status} (a real answer)`)).toEqual([]);
    }

    const follow = op('get /api/v1/runs/{id}/logs').responses['200'].content!;
    expect(Object.keys(follow).sort()).toEqual(['application/x-ndjson', 'text/event-stream', 'text/plain']);
    const frames = String(follow['application/x-ndjson'].example)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(frames.map((f) => f.type)).toEqual(expect.arrayContaining(['log', 'result']));
    for (const frame of frames) expect(exampleProblems(frame, follow['application/x-ndjson'].schema!, doc, 'frame')).toEqual([]);
    expect(String(follow['text/event-stream'].example)).toMatch(/^data: \{"type":"log"/);
    // The stream's real media types are the documented ones.
    for (const accept of ['text/event-stream', 'application/x-ndjson']) {
      const res = await fetch(`${rt.url}/api/v1/runs/${run.id}/logs?follow=true`, {
        headers: { authorization: `Bearer ${viewerToken}`, accept },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(accept);
      await res.text();
    }

    // Request bodies show an example that their own schema accepts.
    for (const route of [
      'post /api/v1/runs',
      'post /api/v1/schedules',
      'post /api/v1/scripts/run',
      'post /v4/runners/command/run-experiment',
      'post /api/v1/tokens',
    ]) {
      const body = op(route).requestBody!.content!['application/json'];
      expect({ route, example: body.example !== undefined }).toEqual({ route, example: true });
      expect(exampleProblems(body.example, body.schema!, doc, route)).toEqual([]);
    }
  });
});
