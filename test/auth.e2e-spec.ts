import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { behave } from './support/fake-autosubmit';
import { eventually } from './support/http';
import { profilesYaml, ROOT, RunyardUnderTest, startRunyard } from './support/runyard';

const BOOTSTRAP = 'bootstrap-admin-secret-for-tests';
const PACKAGE_MAX_BYTES = 1024 * 1024;

/**
 * A chunked PUT of up to `totalBytes` generated as it is sent (never held in memory), stopped after
 * `abortAfterBytes` if given: answers the status Runyard gave, or `aborted` / `reset`.
 */
function streamUpload(url: string, token: string, totalBytes: number, abortAfterBytes?: number): Promise<number | 'aborted' | 'reset'> {
  return new Promise((resolve) => {
    const req = httpRequest(url, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    });
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    let done = false;
    const finish = (outcome: number | 'aborted' | 'reset') => {
      if (done) return;
      done = true;
      resolve(outcome);
    };
    req.on('response', (res) => {
      res.resume();
      finish(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', () => finish('reset'));
    const pump = () => {
      while (!done && sent < totalBytes) {
        if (abortAfterBytes !== undefined && sent >= abortAfterBytes) {
          req.destroy();
          return finish('aborted');
        }
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!done) req.end();
    };
    pump();
  });
}

/** Tokens and roles on every route: the matrix anonymous/viewer/operator/admin × route groups. */
describe('authentication and roles', () => {
  let rt: RunyardUnderTest;
  const tokens: Record<string, string> = {};
  const request = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(rt.url + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  /** One route of each group, with the least role it needs. */
  const routes: { method: string; path: string; body?: unknown; role: 'viewer' | 'operator' | 'admin' }[] = [
    { method: 'GET', path: '/api/v1/runs', role: 'viewer' },
    { method: 'GET', path: '/v4/runners/configuration/profiles', role: 'viewer' },
    { method: 'POST', path: '/v4/runners/command/get-runner-run-status', body: { expid: 'z001' }, role: 'viewer' },
    { method: 'GET', path: '/v4alpha/experiments/z001/get-runner-status', role: 'viewer' },
    { method: 'GET', path: '/api/v1/builds', role: 'viewer' },
    { method: 'GET', path: '/v4alpha/runner-detail?runner=local&module_loader=no_module', role: 'operator' },
    { method: 'POST', path: '/api/v1/sync/results', body: {}, role: 'operator' },
    { method: 'GET', path: '/api/v1/tokens', role: 'admin' },
    { method: 'GET', path: '/api/v1/audit', role: 'admin' },
  ];

  beforeAll(async () => {
    rt = await startRunyard({
      config: profilesYaml(),
      env: { AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: BOOTSTRAP, PACKAGE_MAX_BYTES: String(PACKAGE_MAX_BYTES) },
    });
    for (const role of ['viewer', 'operator', 'admin']) {
      const res = await request('POST', '/api/v1/tokens', BOOTSTRAP, { name: `${role}-1`, role });
      expect(res.status).toBe(201);
      expect(res.body.token).toMatch(/^ry_/);
      tokens[role] = res.body.token;
    }
  });
  afterAll(() => rt?.close());

  it('answers 401 with the error body to anonymous clients and bad tokens, everywhere but health', async () => {
    for (const r of routes) {
      for (const token of [undefined, 'ry_aaaaaaaaaaaa_' + 'b'.repeat(43), 'not-a-token']) {
        const res = await request(r.method, r.path, token, r.body);
        expect({ route: r.path, token, status: res.status }).toEqual({ route: r.path, token, status: 401 });
        expect(res.body).toEqual({ error: true, error_message: expect.any(String) });
      }
    }
    // /metrics refuses like every route: a JSON error body labelled as JSON, not as Prometheus text.
    const metrics = await fetch(`${rt.url}/metrics`);
    expect(metrics.status).toBe(401);
    expect(metrics.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await metrics.json()).toEqual({ error: true, error_message: expect.stringContaining('/metrics needs an API token') });
    const scraped = await fetch(`${rt.url}/metrics`, { headers: { authorization: `Bearer ${tokens.viewer}` } });
    expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect((await request('GET', '/health')).status).toBe(200);
    expect((await request('GET', '/health/ready')).status).toBe(200);
    const callback = await request('POST', '/api/v1/tuxsuite/callback/build', undefined, { kind: 'build' });
    expect(callback.body.error_message).toContain('x-tux-payload-signature'); // reached the signature check, not the token check
  });

  it('lets each role do what it may and answers 403 for the rest', async () => {
    const rank = { viewer: 0, operator: 1, admin: 2 };
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      for (const r of routes) {
        const res = await request(r.method, r.path, tokens[role], r.body);
        const allowed = rank[role] >= rank[r.role];
        expect({ role, route: r.path, allowed: res.status < 400 }).toEqual({ role, route: r.path, allowed });
        if (!allowed)
          expect(res).toEqual({ status: 403, body: { error: true, error_message: expect.stringContaining(`needs ${r.role}`) } });
      }
    }
  });

  it('records who started a run and every write in the audit trail', async () => {
    behave(rt, 'u001', { seconds: 0 });
    const refused = await request('POST', '/api/v1/runs', tokens.viewer, { expid: 'u001', profile_name: 'LOCAL_NO_MODULE' });
    expect(refused.status).toBe(403);
    const run = await request('POST', '/api/v1/runs', tokens.operator, { expid: 'u001', profile_name: 'LOCAL_NO_MODULE' });
    expect(run.status).toBe(202);
    expect(run.body.requested_by).toBe('operator-1');
    const audit = await eventually(async () => {
      const events = (await request('GET', '/api/v1/audit', tokens.admin)).body as {
        actor: string;
        method: string;
        path: string;
        status: number;
      }[];
      return events.some((e) => e.actor === 'operator-1' && e.path === '/api/v1/runs' && e.status === 202) && events;
    });
    expect(audit).toContainEqual(expect.objectContaining({ actor: 'viewer-1', method: 'POST', path: '/api/v1/runs', status: 403 }));
    expect(audit).toContainEqual(expect.objectContaining({ actor: 'bootstrap', method: 'POST', path: '/api/v1/tokens', status: 201 }));
  });

  it('audits refused writes on the executor routes, without a credential or with a forged one', async () => {
    const forged = `rye_${'a'.repeat(12)}_${'b'.repeat(43)}`;
    for (const token of [undefined, forged, tokens.admin]) {
      expect((await request('POST', '/api/v1/executor/exchange', token, {})).status).toBe(401);
    }
    const audit = await eventually(async () => {
      const events = (await request('GET', '/api/v1/audit', tokens.admin)).body as { path: string; status: number }[];
      const refused = events.filter((e) => e.path === '/api/v1/executor/exchange');
      return refused.length >= 3 && refused;
    });
    expect(audit).toEqual(Array(3).fill(expect.objectContaining({ actor: 'anonymous', method: 'POST', status: 401 })));
  });

  it('survives an oversized chunked upload and a client that aborts mid-upload, and audits both', async () => {
    const sha = 'c'.repeat(64);
    const oversized = await streamUpload(`${rt.url}/api/v1/packages/${sha}`, tokens.operator, 300 * 1024 * 1024);
    expect([413, 'reset']).toContain(oversized);
    const aborted = await streamUpload(`${rt.url}/api/v1/packages/${'d'.repeat(64)}`, tokens.operator, 300 * 1024 * 1024, 256 * 1024);
    expect(aborted).toBe('aborted');
    // Still serving, and still itself (the same process, not a restarted one).
    await new Promise((r) => setTimeout(r, 1000));
    expect(rt.api.child.exitCode).toBeNull();
    expect((await request('GET', '/health')).status).toBe(200);
    expect((await request('GET', '/api/v1/runs', tokens.viewer)).status).toBe(200);
    // Nothing of either upload was kept.
    for (const s of [sha, 'd'.repeat(64)]) expect((await request('GET', `/api/v1/packages/${s}?size=1`, tokens.viewer)).status).toBe(404);
    const audit = await eventually(async () => {
      const events = (await request('GET', '/api/v1/audit', tokens.admin)).body as { path: string; status: number }[];
      const uploads = events.filter((e) => e.path.startsWith('/api/v1/packages/'));
      return uploads.length >= 2 && uploads;
    });
    expect(audit).toContainEqual(expect.objectContaining({ actor: 'operator-1', path: `/api/v1/packages/${sha}`, status: 413 }));
    expect(audit).toContainEqual(expect.objectContaining({ path: `/api/v1/packages/${'d'.repeat(64)}`, status: 499 }));
  });

  it('shows a token only once, stores only its hash, and refuses it once revoked', async () => {
    const created = await request('POST', '/api/v1/tokens', tokens.admin, { name: 'short-lived', role: 'viewer' });
    const listed = (await request('GET', '/api/v1/tokens', tokens.admin)).body as Record<string, unknown>[];
    // The secret is everything after the id: base64url, so it may hold '_' itself.
    expect(JSON.stringify(listed)).not.toContain(created.body.token.split('_').slice(2).join('_'));
    expect(listed.find((t) => t.name === 'short-lived')).toMatchObject({ role: 'viewer', revoked_at: null });
    expect((await request('GET', '/api/v1/runs', created.body.token)).status).toBe(200);
    expect((await request('DELETE', `/api/v1/tokens/${created.body.id}`, tokens.admin)).status).toBe(204);
    expect((await request('GET', '/api/v1/runs', created.body.token)).status).toBe(401);
    expect((await request('POST', '/api/v1/tokens', tokens.admin, { name: 'short-lived', role: 'viewer' })).status).toBe(409);
  });

  it('writes structured JSON logs with request ids and never a token', async () => {
    const res = await fetch(`${rt.url}/api/v1/runs`, {
      headers: { authorization: `Bearer ${tokens.viewer}`, 'x-request-id': 'trace-me-1' },
    });
    expect(res.headers.get('x-request-id')).toBe('trace-me-1');
    const log = await eventually(async () => {
      const text = readFileSync(join(rt.dir, 'runyard.log'), 'utf8');
      return text.includes('"trace-me-1"') && text;
    });
    const line = JSON.parse(log.split('\n').find((l) => l.includes('"trace-me-1"'))!);
    expect(line).toMatchObject({ req: { id: 'trace-me-1', headers: { authorization: '[redacted]' } }, res: { statusCode: 200 } });
    for (const token of [...Object.values(tokens), BOOTSTRAP]) expect(log).not.toContain(token);
  });

  it('creates and prints one admin token on the first start when there is none', async () => {
    const fresh = await startRunyard({ config: profilesYaml(), env: { AUTH_MODE: 'token' } });
    try {
      const printed = /Runyard created the first admin token[^\n]*\n\n\s+(ry_\S+)/.exec(
        readFileSync(join(fresh.dir, 'runyard.log'), 'utf8'),
      );
      expect(printed).not.toBeNull();
      const res = await fetch(`${fresh.url}/api/v1/tokens`, { headers: { authorization: `Bearer ${printed![1]}` } });
      expect(res.status).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  it('refuses to start with AUTH_MODE=none on a non-loopback address', async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [join(ROOT, 'dist/apps/api/main.js')],
        { env: { ...process.env, AUTH_MODE: 'none', HOST: '0.0.0.0' } },
        (err, _o, e) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr: e }),
      );
      void child;
    });
    expect(code).toBe(1);
    expect(stderr).toContain('AUTH_MODE=none: allowed only when HOST is a loopback address');
  });
});
