import { createServer, Server } from 'node:http';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { startTuxSuiteEmulator, TuxSuiteEmulator } from '../libs/tuxsuite/src';
import { call, eventually } from './support/http';
import { profilesYaml, ROOT, RunyardUnderTest, startRunyard } from './support/runyard';

/** A KCIDB stand-in: records submissions, answers 500 while `failing`. */
class KcidbReceiver {
  readonly received: { auth: string | undefined; body: any }[] = [];
  failing = false;
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.failing) {
          res.writeHead(500).end('{"error":"down"}');
          return;
        }
        this.received.push({ auth: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server!.address() as { port: number }).port}/submit`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server!.close(() => r()));
  }
}

/** Kernel CI end to end: API → queue → worker → TuxSuite emulator → signed callback → stored, results, KCIDB. */
describe('kernel builds and tests on TuxSuite', () => {
  let rt: RunyardUnderTest;
  let tux: TuxSuiteEmulator;
  const kcidb = new KcidbReceiver();
  const post = (path: string, body: unknown) => call(rt.url, 'POST', path, body);
  /** A bridge path: 204 and the record's URL in Location, as the bridge answers; the id from it. */
  const schedule = async (path: string, body: unknown): Promise<{ body: { id: number } }> => {
    const res = await fetch(rt.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect({ path, status: res.status, text: await res.text() }).toEqual({ path, status: 204, text: '' });
    const location = res.headers.get('location') ?? '';
    expect(location).toMatch(/^\/api\/v1\/(builds|tests)\/\d+$/);
    return { body: { id: Number(location.split('/').pop()) } };
  };
  const get = async (path: string) => (await call(rt.url, 'GET', path)).body;
  const buildBody = {
    runner: 'tuxsuite',
    toolchain: 'gcc-12',
    tree: 'https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git',
    branch: 'master',
    kconfig: 'defconfig',
    fragments: [],
  };
  const testBody = (tests: string[]) => ({
    runner: 'tuxsuite',
    build_id: 'runyard_test:2ZITcwA6wxeKxh9cZA5HBJ6FkSj',
    kernel_image_url: 'https://storage.example.org/Image.gz',
    tests,
    collection: 'ltp',
  });
  const until = <T>(path: string, check: (x: any) => boolean, what: string) =>
    eventually<T>(
      async () => {
        const x = await get(path);
        return check(x) && x;
      },
      15_000,
      what,
    );
  const audit = async (): Promise<{ uid: string | null; outcome: string }[]> => {
    const db = new Client({ connectionString: rt.databaseUrl });
    await db.connect();
    const { rows } = await db.query('SELECT uid, outcome FROM runner_callbacks ORDER BY id');
    await db.end();
    return rows;
  };

  beforeAll(async () => {
    tux = await startTuxSuiteEmulator({ callbackDelayMs: 300, group: 'riscv', project: 'kernelci' });
    await kcidb.start();
    rt = await startRunyard({
      config: profilesYaml(),
      env: {
        TUXSUITE_URL: tux.url,
        TUXSUITE_TOKEN: tux.token,
        TUXSUITE_GROUP: 'riscv',
        TUXSUITE_PROJECT: 'kernelci',
        TUXSUITE_KEY_REFETCH_MIN_MS: '0',
        KCIDB_URL: kcidb.url,
        KCIDB_TOKEN: 'kcidb-secret',
        KCIDB_ORIGIN: 'runyard_test',
        KCIDB_RETRY_MS: '1000',
        DOWNLOAD_TIMEOUT_MS: '1500',
      },
    });
  });
  afterAll(async () => {
    await rt?.close();
    await tux?.stop();
    await kcidb.stop();
  });

  it('builds: 204 with the build URL in Location, submitted to TuxSuite, the signed callback stores the artifacts, KCIDB gets the build', async () => {
    const res = await schedule('/api/v1/builds/run', buildBody);
    expect((await get(`/api/v1/builds/${res.body.id}`)).arch).toBe('riscv');
    const build = await until<any>(`/api/v1/builds/${res.body.id}`, (b) => b.state === 'FINISHED', 'the build callback');
    const uid = build.uid;
    expect(tux.submissions.filter((s) => s.uid === uid)).toHaveLength(1);
    expect(build).toMatchObject({ result: 'pass', artifacts: { kernel_image: expect.stringContaining(`/storage/${uid}/`) } });
    expect(build.artifacts.kernel_version).toBeTruthy();
    const submitted = await eventually(
      async () => kcidb.received.find((r) => r.body.builds?.[0]?.id === `runyard_test:${uid}`),
      10_000,
      'KCIDB build',
    );
    expect(submitted.auth).toBe('Bearer kcidb-secret');
    expect(submitted.body.version).toEqual({ major: 5, minor: 1 });
    expect((await get(`/api/v1/builds/${res.body.id}`)).kcidb).toEqual({ submitted: true, error: null });
  });

  it('tests: the callback leads to results.json fetched and one result per test (prefixes stripped, missing → MISS)', async () => {
    tux.set({ testResults: { 'ltp-smoke': 'pass', kselftest: 'fail', 'ltp-syscalls': null } });
    const res = await schedule('/api/v1/tests/run', testBody(['ltp-smoke', 'kselftest', 'ltp-syscalls']));
    const test = await until<any>(`/api/v1/tests/${res.body.id}`, (t) => t.results_stored, 'the test results');
    expect(test).toMatchObject({ kind: 'test', state: 'FINISHED', device: 'qemu-riscv64' });
    expect(test.results).toEqual({ 'ltp-smoke': 'PASS', kselftest: 'FAIL', 'ltp-syscalls': 'MISS' });
    await eventually(
      async () => kcidb.received.some((r) => r.body.tests?.some((t: { id: string }) => t.id.startsWith(`runyard_test:${test.uid}.`))),
      10_000,
      'KCIDB tests',
    );
    tux.set({ testResults: {} });
  });

  it('boot tests are test runs without tests and report the boot', async () => {
    const res = await schedule('/api/v1/boot-test/run', {
      runner: 'tuxsuite',
      build_id: '17',
      kernel_image_url: 'https://storage.example.org/Image.gz',
    });
    const boot = await until<any>(`/api/v1/tests/${res.body.id}`, (t) => t.results_stored, 'the boot result');
    expect(boot).toMatchObject({ kind: 'boot', tests: [], results: { boot: 'PASS' } });
    expect(tux.submissions.find((s) => s.uid === boot.uid)?.request).toMatchObject({ tests: [] });
  });

  it('a repeated callback changes nothing and answers 2xx', async () => {
    tux.set({ duplicateCallbacks: true });
    const sent = tux.callbacksSent.length;
    const res = await schedule('/api/v1/tests/run', testBody(['ltp-smoke']));
    const test = await until<any>(`/api/v1/tests/${res.body.id}`, (t) => t.results_stored, 'the results');
    await tux.waitForCallbacks(sent + 2);
    tux.set({ duplicateCallbacks: false });
    const deliveries = tux.callbacksSent.filter((c) => c.uid === test.uid);
    expect(deliveries.map((d) => d.status)).toEqual([204, 204]);
    expect((await audit()).filter((a) => a.uid === test.uid).map((a) => a.outcome)).toEqual(['stored', 'duplicate']);
    expect(Object.keys((await get(`/api/v1/tests/${res.body.id}`)).results)).toEqual(['ltp-smoke']);
  });

  it('refuses a tampered callback with 401 and stores nothing but the audit row', async () => {
    tux.set({ badSignature: true });
    const res = await schedule('/api/v1/builds/run', buildBody);
    const submitted = await until<any>(`/api/v1/builds/${res.body.id}`, (b) => b.state === 'SUBMITTED', 'the submission');
    const delivery = await eventually(async () => tux.callbacksSent.find((c) => c.uid === submitted.uid), 10_000, 'the callback');
    tux.set({ badSignature: false });
    expect(delivery.status).toBe(401);
    expect((await get(`/api/v1/builds/${res.body.id}`)).state).toBe('SUBMITTED');
    expect((await audit()).filter((a) => a.outcome === 'bad-signature')).toHaveLength(1);
  });

  it('refuses a callback without the signature header with 401 and the error body', async () => {
    const res = await call(rt.url, 'POST', '/api/v1/tuxsuite/callback/build', '{"kind":"build","status":{"uid":"x","state":"finished"}}');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: true, error_message: expect.stringContaining('x-tux-payload-signature') });
  });

  it("accepts the legacy double-encoded format and the \\' escape quirk", async () => {
    tux.set({ legacyFormat: true, escapeQuirk: true });
    const res = await schedule('/api/v1/builds/run', buildBody);
    await until(`/api/v1/builds/${res.body.id}`, (b) => b.state === 'FINISHED', 'the legacy callback');
    tux.set({ legacyFormat: false, escapeQuirk: false });
  });

  it('fetches the key once more when TuxSuite rotated it', async () => {
    tux.rotateKey();
    const res = await schedule('/api/v1/builds/run', buildBody);
    await until(`/api/v1/builds/${res.body.id}`, (b) => b.state === 'FINISHED', 'the callback signed with the new key');
  });

  it('answers 404 for a verified callback of an unknown uid, and keeps it for audit', async () => {
    const res = await schedule('/api/v1/boot-test/run', {
      runner: 'tuxsuite',
      build_id: '18',
      kernel_image_url: 'https://storage.example.org/Image.gz',
    });
    const test = await until<any>(`/api/v1/tests/${res.body.id}`, (t) => t.state === 'FINISHED', 'the callback');
    const delivery = tux.callbacksSent.find((c) => c.uid === test.uid)!;
    const db = new Client({ connectionString: rt.databaseUrl });
    await db.connect();
    await db.query('DELETE FROM kernel_tests WHERE id = $1', [res.body.id]);
    await db.end();
    const replay = await fetch(`${rt.url}/api/v1/tuxsuite/callback/boot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tux-payload-signature': delivery.signature },
      body: delivery.body,
    });
    expect(replay.status).toBe(404);
    expect((await audit()).filter((a) => a.uid === test.uid).map((a) => a.outcome)).toEqual(['stored', 'unknown-uid']);
  });

  it('keeps KCIDB failures and submits them once KCIDB recovers (HTTP errors are failures)', async () => {
    kcidb.failing = true;
    const res = await schedule('/api/v1/builds/run', buildBody);
    const failed = await until<any>(`/api/v1/builds/${res.body.id}`, (b) => b.kcidb.error !== null, 'the failed KCIDB submission');
    expect(failed.kcidb).toEqual({ submitted: false, error: expect.stringContaining('500') });
    kcidb.failing = false;
    expect((await post('/api/v1/sync/builds', {})).status).toBe(204);
    await until(`/api/v1/builds/${res.body.id}`, (b) => b.kcidb.submitted === true, 'the KCIDB retry');
  });

  it('submits once even when TuxSuite loses its answer and the submission is retried', async () => {
    tux.set({ failNextSubmissionsAfterStoring: 1 });
    const res = await schedule('/api/v1/builds/run', buildBody);
    const build = await until<any>(`/api/v1/builds/${res.body.id}`, (b) => b.state === 'FINISHED', 'the retried build');
    expect(tux.submissions.filter((s) => s.uid === build.uid)).toHaveLength(1);
  });

  it.each([
    ['not JSON', 'not-json', 'results.json is not JSON'],
    ['without a lava key', 'no-lava', 'results.json has no "lava" results'],
    ['that never answers (a timeout, tried twice)', 'hang', 'timed out after 1500 ms'],
  ] as const)('a test whose results.json is %s ends with the reason, MISS per test, and reaches KCIDB', async (_what, fault, reason) => {
    tux.set({ resultsFault: fault });
    const res = await schedule('/api/v1/tests/run', testBody(['ltp-smoke', 'kselftest']));
    const test = await until<any>(`/api/v1/tests/${res.body.id}`, (t) => t.results_stored, 'the recorded failure');
    tux.set({ resultsFault: 'none' });
    expect(test).toMatchObject({
      state: 'FINISHED',
      error: expect.stringContaining(reason),
      results: { 'ltp-smoke': 'MISS', kselftest: 'MISS' },
    });
    const rows = await eventually(
      async () => {
        const found = kcidb.received
          .flatMap((r) => r.body.tests ?? [])
          .filter((t: { id: string }) => t.id.startsWith(`runyard_test:${test.uid}.`));
        return found.length > 0 && found;
      },
      10_000,
      'the MISS rows in KCIDB',
    );
    expect(rows.map((t: { path: string; status: string }) => [t.path, t.status]).sort()).toEqual([
      ['kselftest', 'MISS'],
      ['ltp-smoke', 'MISS'],
    ]);
    await until(`/api/v1/tests/${res.body.id}`, (t) => t.kcidb.submitted, 'the KCIDB state');
  });

  it('POST /api/v1/tests/submit: results run elsewhere are stored, reach KCIDB, and are kept for /sync/results while KCIDB fails', async () => {
    kcidb.failing = true;
    const res = await schedule('/api/v1/tests/submit', {
      test_uid: 'lab-run-1',
      build_id: 'runyard_test:2ZITcwA6wxeKxh9cZA5HBJ6FkSj',
      device: 'qemu-riscv64',
      runtime: 'lava',
      tests: [
        { test_name: 'ltp-smoke', test_collection: 'ltp', result: 'pass', logs: 'https://lab.example.org/ltp-smoke.log' },
        { test_name: 'kselftest', test_collection: 'kselftest', result: 'FAIL', logs: 'a line of the log' },
      ],
    });
    const stored = await until<any>(`/api/v1/tests/${res.body.id}`, (t) => t.kcidb.error !== null, 'the refused submission');
    expect(stored).toMatchObject({
      runner: 'lava',
      uid: 'lab-run-1',
      state: 'FINISHED',
      results: { 'ltp-smoke': 'PASS', kselftest: 'FAIL' },
    });
    kcidb.failing = false;
    expect((await post('/api/v1/sync/results', {})).status).toBe(204);
    await until(`/api/v1/tests/${res.body.id}`, (t) => t.kcidb.submitted, 'the synced results');
    const rows = kcidb.received
      .flatMap((r) => r.body.tests ?? [])
      .filter((t: { id: string }) => t.id.startsWith('runyard_test:lab-run-1.'));
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'ltp-smoke', status: 'PASS', log_url: 'https://lab.example.org/ltp-smoke.log' }),
        expect.objectContaining({ path: 'kselftest', status: 'FAIL', build_id: 'runyard_test:2ZITcwA6wxeKxh9cZA5HBJ6FkSj' }),
      ]),
    );
    const again = await post('/api/v1/tests/submit', {
      test_uid: 'lab-run-1',
      build_id: 'x',
      device: 'd',
      runtime: 'lava',
      tests: [{ test_name: 'a', result: 'pass' }],
    });
    expect(again.status).toBe(409);
  });

  it("takes the bridge's default runner, and Runyard's own paths answer the record", async () => {
    const { runner: _runner, ...withoutRunner } = buildBody;
    const res = await fetch(`${rt.url}/api/v1/builds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(withoutRunner),
    });
    expect(res.status).toBe(202);
    const build = (await res.json()) as { id: number; runner: string; state: string };
    expect(build).toMatchObject({ runner: 'tuxsuite', state: 'SCHEDULED' });
    expect(res.headers.get('location')).toBe(`/api/v1/builds/${build.id}`);
    const boot = await post('/api/v1/tests', { build_id: '19', kernel_image_url: 'https://storage.example.org/Image.gz' });
    expect(boot.body).toMatchObject({ kind: 'boot', runner: 'tuxsuite', tests: [] });
  });

  it('refuses to start with TuxSuite configured and no RUNYARD_PUBLIC_URL, naming it', async () => {
    const { RUNYARD_PUBLIC_URL: _url, ...env } = rt.env;
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'api', 'main.js')], { env: { ...env, PORT: '0' } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(stderr).toContain('RUNYARD_PUBLIC_URL must be set when TuxSuite is configured');
  });

  it('answers 400 for an unknown runner code (listing the available ones) and for a build without any config', async () => {
    const unknown = await post('/api/v1/builds/run', { ...buildBody, runner: 'lava' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error_message).toContain('available: tuxsuite');
    const noConfig = await post('/api/v1/builds/run', { ...buildBody, kconfig: undefined, fragments: [] });
    expect(noConfig.status).toBe(400);
    expect(noConfig.body.error_message).toContain('kconfig');
    const badUrl = await post('/api/v1/tests/run', { ...testBody(['ltp']), kernel_image_url: 'file:///etc/passwd' });
    expect(badUrl.status).toBe(400);
  });
});
