import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call } from './support/http';
import { RunyardUnderTest, startRunyard } from './support/runyard';
import { pythonEnv, pythonProject, runClient } from './support/sdk-clients';

const CONFIG = `
RUNNER_CONFIGURATION:
  PROFILES:
    AUTOSUBMIT_ONLY:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
    PY:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SDK_RUNTIMES: [python]
    Z_BROKEN_PY:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SDK_RUNTIMES: [python]
      PYTHON_EXECUTABLE: /bin/false
RUNNERS:
  LOCAL:
    ENABLED: True
    MODULE_LOADERS:
      NO_MODULE: {ENABLED: True}
`;

/** The seed's troubleshooting list, Runyard's way: each error names its cause and the fix, and bad input is a 4xx. */
describe('Runner SDK errors', () => {
  let rt: RunyardUnderTest;
  const shared = join(mkdtempSync(join(tmpdir(), 'runyard-sdk-storage-')), 'packages');
  const python = (dir: string, file: string) => runClient('python3', [file], dir, pythonEnv(rt.url));
  const script = (body: string) => pythonProject({ 'client.py': `from runyard import *\n\ndef one():\n    return 1\n\n${body}` }, false);

  beforeAll(async () => {
    rt = await startRunyard({
      config: CONFIG,
      env: { PACKAGE_STORAGE: `file://${shared}`, PACKAGE_MAX_BYTES: '65536', SESSION_MAX_RESTARTS: '1', SESSION_REAPER_MS: '300' },
    });
  });
  afterAll(() => rt?.close());

  it('says the package storage directory is missing and how to make it; once made, the same client runs', async () => {
    const dir = script(`try:
    with Runner("storage-app") as rr:
        print(rr.service(one)().get())
except StorageMissingError as e:
    print("missing:", e)
`);
    const before = await python(dir, 'client.py');
    expect(before.stdout).toBe(
      `missing: package storage directory ${shared} does not exist: create it (mkdir -p ${shared}), make it writable by Runyard ` +
        `and shared by every API instance, or unset PACKAGE_STORAGE to use RUNYARD_DATA_DIR\n`,
    );
    mkdirSync(shared);
    expect((await python(dir, 'client.py')).stdout).toBe('1\n');
  });

  it('refuses a package over PACKAGE_MAX_BYTES before uploading it, saying what to exclude; with the excludes it runs', async () => {
    const dir = script(`import sys
try:
    with Runner("big-package-app", excludes=sys.argv[1:]) as rr:
        print(rr.service(one)().get())
except PackageTooLargeError as e:
    print("too large:", e)
`);
    writeFileSync(join(dir, 'weights.bin'), randomBytes(200_000));
    const refused = await runClient('python3', ['client.py'], dir, pythonEnv(rt.url));
    expect(refused.stdout).toMatch(
      /^too large: the package is \d+ bytes; this Runyard accepts at most 65536 \(PACKAGE_MAX_BYTES\): exclude what the code does not need \(data\/, \*\.pkl, models\/ …\) or ask the admin to raise PACKAGE_MAX_BYTES\n$/,
    );
    expect((await runClient('python3', ['client.py', '*.bin'], dir, pythonEnv(rt.url))).stdout).toBe('1\n');
  });

  it('refuses an application name in use when fail_if_exists=True (Flame), else reuses it; a reusing client leaves the cleanup to the owner', async () => {
    const dir = script(`with Runner("taken-app") as owner:
    try:
        Runner("taken-app", fail_if_exists=True)
    except ApplicationExistsError as e:
        print("exists:", e)
    with Runner("taken-app") as again:
        print(again.service(one)().get())
    print(owner.service(one)().get())
`);
    expect((await python(dir, 'client.py')).stdout).toMatch(
      /^exists: application taken-app exists already \(registered by anonymous@127\.0\.0\.1 at [-0-9T:.]+Z\): choose another name, reuse it \(Python: Runner\(name\) without fail_if_exists=True \/ TypeScript: \{ reuse: true \}\), or remove it \(runyard apps rm taken-app\)\n1\n1\n$/,
    );
  });

  it('says when no profile can run the runtime (profiles opt in), and which profiles exist', async () => {
    const dir = script(`try:
    Runner("profile-app", profile="AUTOSUBMIT_ONLY").start()
except NoProfileError as e:
    print(e)
`);
    expect((await python(dir, 'client.py')).stdout).toBe(
      'profile AUTOSUBMIT_ONLY cannot run python sessions (its SDK_RUNTIMES: []): choose a profile that lists python, or add python to its SDK_RUNTIMES in runyard.yaml\n',
    );
    const sha = 'c'.repeat(64);
    const put = await fetch(`${rt.url}/api/v1/packages/${sha}`, {
      method: 'PUT',
      body: 'not the content',
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.status).toBe(400);
    expect(((await put.json()) as { error_message: string }).error_message).toMatch(
      /^the package's SHA-256 is [0-9a-f]{64}, not c{64}: it was changed or cut on the way$/,
    );
    const content = Buffer.from('a package');
    const real = createHash('sha256').update(content).digest('hex');
    await fetch(`${rt.url}/api/v1/packages/${real}`, {
      method: 'PUT',
      body: content,
      headers: { 'content-type': 'application/octet-stream' },
    });
    const node = await call(rt.url, 'POST', '/api/v1/applications', { name: 'node-app', package_sha: real, runtime: 'node' });
    expect(node).toMatchObject({
      status: 400,
      body: {
        error_message:
          "no profile can run node sessions (profiles: AUTOSUBMIT_ONLY, PY, Z_BROKEN_PY): add node to a profile's SDK_RUNTIMES in runyard.yaml (e.g. SDK_RUNTIMES: [node])",
      },
    });
    expect((await fetch(`${rt.url}/api/v1/packages/${real}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('stores a package uploaded by many clients at once (the same project started twice): every upload answers 2xx, the file whole', async () => {
    mkdirSync(shared, { recursive: true });
    const content = randomBytes(48 * 1024);
    const sha = createHash('sha256').update(content).digest('hex');
    const put = () =>
      fetch(`${rt.url}/api/v1/packages/${sha}`, { method: 'PUT', body: content, headers: { 'content-type': 'application/octet-stream' } });
    const answers = await Promise.all(Array.from({ length: 8 }, put));
    expect(answers.map((a) => a.status).filter((s) => s !== 200 && s !== 201)).toEqual([]);
    expect(await call(rt.url, 'GET', `/api/v1/packages/${sha}`)).toMatchObject({
      status: 200,
      body: { sha256: sha, size: content.length },
    });
    expect(readFileSync(join(shared, `${sha}.tar.gz`)).equals(content)).toBe(true);
    // Nothing half-written is left beside it.
    expect(readdirSync(shared).filter((f) => f.startsWith(sha))).toEqual([`${sha}.tar.gz`]);
  });

  it('fails the futures of a session whose executor cannot start with SessionLostError, naming the run to look at', async () => {
    const dir = script(`with Runner("lost-app", profile="Z_BROKEN_PY") as rr:
    try:
        rr.service(one)().get()
    except SessionLostError as e:
        print(e)
`);
    const done = await python(dir, 'client.py');
    expect(done.stdout).toMatch(
      /^SessionLostError: session \d+ was lost: its executor \(run (\d+)\) ended FAILED: exit code 1 — see runyard logs \1 \(1 restarts in a row\)\n$/,
    );
  });

  it('answers bad input with a 4xx error body, never executing anything', async () => {
    const app = await call(rt.url, 'POST', '/api/v1/applications', { name: '../etc', package_sha: 'c'.repeat(64), runtime: 'python' });
    expect(app).toMatchObject({ status: 400, body: { error: true } });
    expect((await call(rt.url, 'POST', '/api/v1/applications', { name: 'x', package_sha: 'c'.repeat(64), runtime: 'ruby' })).status).toBe(
      400,
    );
    expect((await call(rt.url, 'POST', '/api/v1/sessions/abc/calls', { calls: [] })).status).toBe(400);
    expect(
      (await call(rt.url, 'POST', '/api/v1/sessions/999/calls', { calls: [{ id: 'a', method: 'm', args: '', refs: [] }] })).status,
    ).toBe(404);
    expect((await call(rt.url, 'GET', '/api/v1/objects/app/1/a%2F..%2Fb')).status).toBe(400);
    expect((await call(rt.url, 'GET', '/api/v1/objects/app/01/x')).status).toBe(400);
    expect((await call(rt.url, 'GET', '/api/v1/sessions/1/results?seqs=1-2;3')).status).toBe(400);
    expect((await call(rt.url, 'GET', '/api/v1/packages/not-a-sha')).status).toBe(400);
    // The executors' routes take an executor's credential and nothing else.
    expect((await call(rt.url, 'GET', '/api/v1/executor/session')).status).toBe(401);
    const forged = await fetch(`${rt.url}/api/v1/executor/session`, {
      headers: { authorization: `Bearer rye_${'0'.repeat(32)}_${'a'.repeat(43)}` },
    });
    expect(forged.status).toBe(410);
  });
});
