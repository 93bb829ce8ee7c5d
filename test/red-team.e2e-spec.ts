import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { profilesYaml, RunyardUnderTest, startRunyard } from './support/runyard';

const BOOTSTRAP = 'red-team-bootstrap-admin-secret';
const SECRET = 'red-team-key-0f-profile-2026';

/** A profile that runs shell scripts on the worker, with or without the secret an admin may take back. */
const scriptProfile = (extra: string) => `
    RED_SCRIPTS:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SCRIPT_RUNTIMES: [shell]
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

  it('an operator resubmitting an old run does not get back a secret an admin took from its profile, nor a deleted profile', async () => {
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
  });
});
