import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FakeAutomnHost } from './support/fake-automn';
import { processAlive } from './support/fake-autosubmit';
import { eventually } from './support/http';
import { freePort, runReachableDir, RunyardProcess, sharedStateDir, startAgentProcess } from './support/runyard';

const activeRuns = async (url: string) =>
  ((await (await fetch(`${url}/status`)).json()) as { config: { activeRuns: number } }).config.activeRuns;

/** A JSONL answer of /api/run read to its end. */
async function runScript(url: string, secret: string | undefined, body: unknown, signal?: AbortSignal) {
  const res = await fetch(`${url}/api/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret ? { 'x-automn-runner-secret': secret } : {}) },
    body: JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  const frames = res.headers.get('content-type')?.startsWith('application/jsonl')
    ? text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
    : [];
  return { status: res.status, contentType: res.headers.get('content-type'), text, frames };
}

/** Runyard's agent in push mode = Automn's runner service: the test plays the Automn host against it. */
describe("the agent in push mode (Automn's runner protocol)", () => {
  const dir = runReachableDir('runyard-automn-');
  const SECRET = 'automn-runner-secret-0001';
  let host: FakeAutomnHost;
  let agent: RunyardProcess;
  let url: string;

  const startRunner = async (name: string, env: Record<string, string>) => {
    const port = await freePort();
    const p = startAgentProcess(
      {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        AUTOMN_HOST_URL: host.url,
        AUTOMN_RUNNER_ID: name,
        AUTOMN_RUNNER_PUBLIC_URL: `http://127.0.0.1:${port}`,
        AUTOMN_RUNNER_PORT: String(port),
        AUTOMN_RUNNER_LISTEN_HOST: '127.0.0.1',
        AUTOMN_RUNNER_STATE_DIR: join(dir, name, 'state'),
        AUTOMN_RUNNER_WORKDIR: join(dir, name, 'work'),
        AUTOMN_RUNNER_HEARTBEAT_MS: '300',
        AUTOMN_RUNNER_KILL_GRACE_MS: '500',
        ...env,
      },
      join(dir, `${name}.log`),
    );
    const base = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${base}/status`).catch(() => null))?.ok, 10_000, `${name} listening`);
    return { process: p, url: base };
  };

  beforeAll(async () => {
    host = await new FakeAutomnHost().start();
    ({ process: agent, url } = await startRunner('runner-1', { AUTOMN_RUNNER_SECRET: SECRET, AUTOMN_RUNNER_LOCAL_MAX_CONCURRENCY: '1' }));
  });
  afterAll(async () => {
    await agent?.stop();
    await host?.close();
  });

  it("registers with the host as Automn's runner does, heartbeats with the same call, and reports in /status", async () => {
    await eventually(async () => host.registrations.filter((r) => r.id === 'runner-1').length >= 3, 10_000, 'heartbeats');
    const [first] = host.registrations;
    expect(first.body).toMatchObject({
      secret: SECRET,
      endpoint: `${url}/api/run`,
      statusMessage: 'Runner heartbeat (startup)',
      version: '0.2.16',
      minimumHostVersion: '0.2.15',
      os: 'linux',
      runtimes: expect.objectContaining({ node: process.versions.node }),
    });
    expect(host.registrations[2].body.statusMessage).toBe('Runner heartbeat (heartbeat)');
    const status = await (await fetch(`${url}/status`)).text();
    expect(JSON.parse(status).runner).toMatchObject({
      runnerId: 'runner-1',
      secretConfigured: true,
      secretSource: 'env',
      lastRegistrationStatus: 'ok',
    });
    expect(status).not.toContain(SECRET);
  });

  it('streams JSONL log frames and then one result frame with the return value, the logs and the input', async () => {
    const code =
      'console.log("one"); AutomnLog("half way", "warn"); AutomnReturn({ n: JSON.parse(process.env.INPUT_JSON).n * 2 }); console.log("two");';
    const r = await runScript(url, SECRET, { runId: 'run-42', script: { language: 'node', code }, reqBody: { n: 21 } });
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('application/jsonl; charset=utf-8');
    const logs = r.frames.filter((f) => f.type === 'log');
    expect(logs.map((f) => f.line).join('')).toContain('one\n');
    expect(r.frames.at(-1)).toEqual({
      type: 'result',
      data: {
        runId: 'run-42',
        // The log marker's line stays, empty; the return line goes (Automn's runner).
        stdout: 'one\n\ntwo',
        stderr: '',
        code: 0,
        duration: expect.any(Number),
        returnData: { n: 42 },
        automnLogs: [expect.objectContaining({ message: 'half way', level: 'warn' })],
        automnNotifications: [],
        input: { n: 21 },
      },
    });
    expect(r.frames.filter((f) => f.type === 'result')).toHaveLength(1);
  });

  it("checks in Automn's order: no secret 503, bad secret 401, at its local cap 429, no script 400", async () => {
    const bare = await startRunner('runner-bare', {});
    try {
      expect((await runScript(bare.url, 'whatever', {})).status).toBe(503);
    } finally {
      await bare.process.stop();
    }
    expect((await runScript(url, 'not-the-secret', {})).status).toBe(401);
    expect((await runScript(url, undefined, { script: { language: 'shell', code: 'echo' } })).status).toBe(401);
    const busy = runScript(url, SECRET, { script: { language: 'shell', code: 'sleep 2; echo done' } });
    await eventually(async () => (await activeRuns(url)) === 1, 5000, 'the first run');
    const refused = await runScript(url, SECRET, {});
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toEqual({ error: 'Runner is at capacity' });
    expect((await busy).frames.at(-1).data.code).toBe(0);
    const noScript = await runScript(url, SECRET, { reqBody: {} });
    expect(noScript.status).toBe(400);
    expect(JSON.parse(noScript.text)).toEqual({ error: 'Script payload is required' });
  });

  it('stops the script when the client disconnects', async () => {
    // Where the script (an account of its own) may write.
    const pidFile = join(sharedStateDir('runyard-automn-pid-'), 'disconnect.pid');
    const code = `import os, time\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\nprint("started", flush=True)\ntime.sleep(60)`;
    const abort = new AbortController();
    const answer = runScript(url, SECRET, { script: { language: 'python', code } }, abort.signal).catch((e: Error) => e);
    const pid = await eventually(
      async () => Number(existsSync(pidFile) && readFileSync(pidFile, 'utf8')) || null,
      10_000,
      'the script to start',
    );
    expect(processAlive(pid)).toBe(true);
    abort.abort();
    await answer;
    await eventually(async () => !processAlive(pid), 10_000, 'the script to be stopped');
    await eventually(async () => (await activeRuns(url)) === 0, 5000, 'the slot to free');
  });

  it('stops a script past its timeout, with SIGKILL if it ignores SIGTERM', async () => {
    const r = await runScript(url, SECRET, {
      script: { language: 'shell', code: "trap '' TERM; echo waiting; sleep 30; echo never", timeout: 1 },
    });
    const result = r.frames.at(-1).data;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Timeout exceeded.');
    expect(result.stdout).toBe('waiting');
  });

  it("gives a script Automn's script and job variables as its environment, never as code; a name that is not a variable's is refused", async () => {
    const marker = join(sharedStateDir('runyard-automn-vars-'), 'spliced');
    const variables = [
      { envName: 'AUTOMN_VAR_GREETING', value: 'hello', scope: 'script' },
      { envName: 'AUTOMN_JOB_VAR_SCRIPT_NAME', value: 'nightly report', scope: 'job' },
      { envName: 'AUTOMN_VAR_TRICK', value: `$(touch ${marker}); \`touch ${marker}\`` },
      { envName: '', value: 'no name: skipped as Automn skips it' },
      // The runner's own variables win over a script's of the same name, as in Automn.
      { envName: 'AUTOMN_RUN_ID', value: 'forged' },
    ];
    const code = 'echo "$AUTOMN_VAR_GREETING|$AUTOMN_JOB_VAR_SCRIPT_NAME|$AUTOMN_VAR_TRICK|$AUTOMN_RUN_ID"';
    const r = await runScript(url, SECRET, { runId: 'vars-1', script: { language: 'shell', code, variables } });
    expect(r.frames.at(-1).data).toMatchObject({
      code: 0,
      stdout: `hello|nightly report|$(touch ${marker}); \`touch ${marker}\`|vars-1`,
    });
    expect(existsSync(marker)).toBe(false);
    const py = await runScript(url, SECRET, {
      script: {
        language: 'python',
        code: 'import os\nprint(os.environ["AUTOMN_JOB_VAR_HTTP_METHOD"])',
        variables: [{ envName: 'AUTOMN_JOB_VAR_HTTP_METHOD', value: 'POST' }],
      },
    });
    expect(py.frames.at(-1).data).toMatchObject({ code: 0, stdout: 'POST' });
    for (const envName of ['LD_PRELOAD=/tmp/x.so', 'A B', '1ST', 'X\nY']) {
      const refused = await runScript(url, SECRET, {
        script: { language: 'shell', code: `touch ${marker}`, variables: [{ envName, value: 'v' }] },
      });
      expect(refused.frames.at(-1).data).toMatchObject({ code: 1, stderr: expect.stringContaining('Invalid variable name') });
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('reports an exit by signal as Automn does: code 1, and its timeout as "Timeout exceeded." without the shell\'s "Terminated"', async () => {
    const timedOut = (
      await runScript(url, SECRET, { script: { language: 'shell', code: 'echo waiting; sleep 30', timeout: 1 } })
    ).frames.at(-1).data;
    expect(timedOut).toMatchObject({ code: 1, stdout: 'waiting', stderr: '\nTimeout exceeded.' });
    const killedRun = await runScript(url, SECRET, { script: { language: 'shell', code: 'echo before >&2; kill -KILL $$' } });
    expect(killedRun.frames.at(-1).data).toMatchObject({ code: 1, stderr: 'before\n' });
    // The live log frames show what the script wrote, not the shell's line either.
    const liveErr = (frames: { type: string; line?: string; stream?: string }[]) =>
      frames
        .filter((f) => f.type === 'log' && f.stream === 'stderr')
        .map((f) => f.line)
        .join('');
    expect(liveErr(killedRun.frames)).toBe('before\n');
    // A script's own line of the same words, and an exit code of its own, are kept.
    const ownRun = await runScript(url, SECRET, { script: { language: 'shell', code: 'echo fine >&2; echo Killed >&2; exit 143' } });
    expect(ownRun.frames.at(-1).data).toMatchObject({ code: 143, stderr: 'fine\nKilled\n' });
    expect(liveErr(ownRun.frames)).toBe('fine\nKilled\n');
  });

  it('answers Automn\'s result fields: marker lines left empty, pretty AutomnRunLog, stamped logs, raw notifications, "Bad return JSON", no input as {}', async () => {
    const code = [
      'print("one")',
      'AutomnLog("half way", "warn", {"step": 1})',
      'AutomnNotify("ops", "done", "error")',
      'AutomnRunLog("state", {"a": [1, 2]})',
      'print("two")',
    ].join('\n');
    const r = (await runScript(url, SECRET, { script: { language: 'python', code } })).frames.at(-1).data;
    expect(r.stdout).toBe('one\n\n\nstate {\n  "a": [\n    1,\n    2\n  ]\n}\ntwo');
    const stamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(r.automnLogs).toEqual([
      { message: 'half way', level: 'warn', type: 'general', context: { step: 1 }, order: 0, timestamp: stamp },
    ]);
    expect(r.automnNotifications).toEqual([
      {
        order: 0,
        audience: 'ops',
        message: 'done',
        level: 'error',
        raw: { audience: 'ops', message: 'done', level: 'error' },
        timestamp: stamp,
      },
    ]);
    const shellLog = (await runScript(url, SECRET, { script: { language: 'shell', code: 'AutomnRunLog a "b c"' } })).frames.at(-1).data;
    expect(shellLog.stdout).toBe('a\nb c');
    const bad = (await runScript(url, SECRET, { script: { language: 'shell', code: 'echo "__SCRIPTRETURN__{oops"' } })).frames.at(-1).data;
    expect(bad).toMatchObject({ returnData: null, stdout: '' });
    expect(bad.stderr).toMatch(/^Bad return JSON: \S/);
    for (const reqBody of ['', 0, false]) {
      const none = (await runScript(url, SECRET, { script: { language: 'shell', code: 'echo "$INPUT_JSON"' }, reqBody })).frames.at(
        -1,
      ).data;
      expect(none).toMatchObject({ stdout: '{}', input: {} });
    }
  });

  it("installs a Node script's npm packages into its cache as Automn's runner does, and answers /api/packages/status", async () => {
    const code = 'const isNumber = require("is-number");\nAutomnReturn({ five: isNumber(5), word: isNumber("five") });';
    const first = await runScript(url, SECRET, { script: { id: 'script-7', language: 'node', code } });
    expect(first.frames.at(-1).data).toMatchObject({ code: 0, returnData: { five: true, word: false } });
    expect(first.frames.map((f) => f.line ?? '').join('')).toContain('Installing npm dependencies: is-number\n');
    // Cached: the next run of the script installs nothing.
    const again = await runScript(url, SECRET, { script: { id: 'script-7', language: 'node', code } });
    expect(again.frames.at(-1).data).toMatchObject({ code: 0, returnData: { five: true } });
    expect(again.frames.map((f) => f.line ?? '').join('')).not.toContain('Installing');
    // An ES module imports them too (ES modules ignore NODE_PATH, where require() finds them).
    const esm =
      'import isNumber from "is-number";\nconst { default: again } = await import("is-number");\nAutomnReturn([isNumber(5), again("x")]);';
    const imported = await runScript(url, SECRET, { script: { id: 'script-7', language: 'node', code: esm } });
    expect(imported.frames.at(-1).data).toMatchObject({ code: 0, stderr: '', returnData: [true, false] });

    const status = (body: unknown, secret = SECRET) =>
      fetch(`${url}/api/packages/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-automn-runner-secret': secret },
        body: JSON.stringify(body),
      });
    expect((await status({ packages: ['is-number'] }, 'not-the-secret')).status).toBe(401);
    const known = await status({ scriptId: 'script-7', packages: ['is-number', 'left-pad', '--global', 'A B'], installMissing: false });
    expect(known.status).toBe(200);
    expect(await known.json()).toEqual({
      scriptId: 'script-7',
      installMissing: false,
      error: null,
      packages: [
        { name: 'is-number', status: 'installed', message: null },
        { name: 'left-pad', status: 'not_installed', message: 'Package not present' },
        { name: '--global', status: 'error', message: 'Not an npm package name' },
        { name: 'A B', status: 'error', message: 'Not an npm package name' },
      ],
    });
    // A name npm would read as an option or a path is never handed to it: the run fails saying so.
    const marker = join(sharedStateDir('runyard-automn-npm-'), 'ran');
    const bad = await runScript(url, SECRET, {
      script: { language: 'node', code: `require("--prefix=/tmp/x"); require("fs").writeFileSync(${JSON.stringify(marker)}, "")` },
    });
    expect(bad.frames.at(-1).data).toMatchObject({ code: 90, stderr: 'Not an npm package name: "--prefix="' });
    expect(existsSync(marker)).toBe(false);
  });

  it('takes its secret from the setup form, rotates it by reset token (constant-time checks), and keeps it in a 0600 file written atomically', async () => {
    const ui = await startRunner('runner-ui', { AUTOMN_RUNNER_RESET_TOKEN: 'reset-token-0123456789' });
    try {
      expect((await runScript(ui.url, 'anything-at-all', {})).status).toBe(503);
      const form = await fetch(`${ui.url}/ui/register`, { method: 'POST', body: new URLSearchParams({ secret: 'first-secret-0001' }) });
      expect(form.status).toBe(200);
      await eventually(
        async () => host.registrations.some((r) => r.id === 'runner-ui' && r.body.secret === 'first-secret-0001'),
        5000,
        'registration',
      );
      const stateDir = join(dir, 'runner-ui', 'state');
      const stateFile = join(stateDir, 'runner-state.json');
      expect(statSync(stateFile).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(stateFile, 'utf8')).secret).toBe('first-secret-0001');

      const reset = (body: unknown) =>
        fetch(`${ui.url}/internal/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await reset({ token: 'reset-token-0123456788', secret: 'second-secret-0002' })).status).toBe(403);
      expect((await reset({ token: 'reset-token-0123456789', secret: 'short' })).status).toBe(400);
      const rotated = await reset({ token: 'reset-token-0123456789', secret: 'second-secret-0002' });
      expect(rotated.status).toBe(200);
      expect(await rotated.json()).toMatchObject({ reset: true, secretUpdated: true, registrationResult: { ok: true } });
      expect(host.registrations.filter((r) => r.id === 'runner-ui').at(-1)!.body).toMatchObject({ secret: 'second-secret-0002' });
      expect(JSON.parse(readFileSync(stateFile, 'utf8')).secret).toBe('second-secret-0002');
      expect(statSync(stateFile).mode & 0o777).toBe(0o600);
      expect(readdirSync(stateDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect((await runScript(ui.url, 'first-secret-0001', { script: { language: 'shell', code: 'echo' } })).status).toBe(401);
      expect(
        (await runScript(ui.url, 'second-secret-0002', { script: { language: 'shell', code: 'echo ok' } })).frames.at(-1).data.stdout,
      ).toBe('ok');
    } finally {
      await ui.process.stop();
    }
    const reset = await fetch(`${url}/internal/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"token":"x"}',
    });
    expect(reset.status).toBe(404);
  });
});
