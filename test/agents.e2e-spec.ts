import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from './support/cli';
import { FakeAutomnRunner } from './support/fake-automn';
import { behave, processAlive } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { freePort, profilesYaml, RunyardProcess, RunyardUnderTest, sharedStateDir, startRunyard } from './support/runyard';
import { TcpProxy } from './support/tcp-proxy';

const ADMIN = 'bootstrap-admin-secret-for-agents';

const PROFILES = `
    AGENT_CPU:
      RUNNER_TYPE: AGENT
      MODULE_LOADER_TYPE: NO_MODULE
      AGENT: {TAGS: [cpu]}
    AGENT_NOWHERE:
      RUNNER_TYPE: AGENT
      MODULE_LOADER_TYPE: NO_MODULE
      AGENT: {TAGS: [nowhere]}
      QUEUE_TIMEOUT: 2
    LOCAL_SCRIPTS:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SCRIPT_RUNTIMES: [python]
`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

/**
 * Runner agents against the built Runyard (API and a worker apart): real agent processes on
 * loopback, pull and push, plus an Automn runner the test plays. Every timeout Runyard has for
 * agents is short here (heartbeat 300 ms, long poll 1.5 s, silence window 5 s).
 */
describe('runner agents', () => {
  let rt: RunyardUnderTest;
  let worker: RunyardProcess;
  const secrets: Record<string, string> = {};
  const agents: Record<string, RunyardProcess> = {};

  const api = (method: string, path: string, body?: unknown, token: string | null = ADMIN) => call(rt.url, method, path, body, token);
  const run = async (id: number): Promise<Json> => (await api('GET', `/api/v1/runs/${id}`)).body;
  const logs = async (id: number): Promise<string> => (await api('GET', `/api/v1/runs/${id}/logs`)).text;
  const until = (id: number, statuses: string[], timeoutMs = 20_000) =>
    eventually(
      async () => {
        const r = await run(id);
        return statuses.includes(r.status) && r;
      },
      timeoutMs,
      `run ${id} in ${statuses.join('/')}`,
    );
  const agent = async (id: string): Promise<Json> => (await api('GET', `/api/v1/agents/${id}`)).body;
  const online = (id: string) => eventually(async () => (await agent(id)).status === 'online', 10_000, `${id} online`);
  const script = async (body: Record<string, unknown>): Promise<number> => {
    const res = await api('POST', '/api/v1/scripts/run', body);
    expect(res.status).toBe(202);
    return res.body.id;
  };
  const register = async (id: string, tags: string[]) => {
    const res = await api('POST', '/api/v1/agents', { id, tags });
    expect(res.status).toBe(201);
    secrets[id] = res.body.secret;
  };
  const stateDir = (id: string) => join(rt.dir, `agent-${id}`);
  const startPull = (id: string, url = rt.url, secret = secrets[id]) => {
    agents[id] = rt.startAgent(
      {
        RUNYARD_URL: url,
        RUNYARD_AGENT_ID: id,
        RUNYARD_AGENT_SECRET: secret,
        RUNYARD_AGENT_STATE_DIR: stateDir(id),
        RUNYARD_AGENT_CANCEL_GRACE_MS: '500',
      },
      `agent-${id}`,
    );
    return agents[id];
  };
  /** Prints `lines` numbered lines, `every` of them per 0.1 s: the exact text is known. */
  const counting = (lines: number, every = 1) =>
    `import time\nfor i in range(${lines}):\n    print(f"line {i:05d} " + "x" * 60, flush=True)\n    if i % ${every} == 0: time.sleep(0.1)\n`;
  const counted = (lines: number) =>
    Array.from({ length: lines }, (_, i) => `line ${String(i).padStart(5, '0')} ${'x'.repeat(60)}\n`).join('');

  beforeAll(async () => {
    rt = await startRunyard({
      config: profilesYaml(PROFILES),
      role: 'api',
      env: {
        AUTH_MODE: 'token',
        RUNYARD_BOOTSTRAP_TOKEN: ADMIN,
        AGENT_HEARTBEAT_MS: '300',
        AGENT_LONG_POLL_MS: '1500',
        AGENT_LOST_AFTER_MS: '5000',
        AGENT_ACCEPT_TIMEOUT_MS: '3000',
        // The push agents of these tests listen on loopback, a range Runyard refuses to send requests to unless allowed.
        AGENT_ENDPOINT_ALLOW: '127.0.0.0/8',
      },
    });
    worker = await rt.startWorker();
  });
  afterAll(() => rt?.close());

  it('an admin registers an agent; its secret is answered once and never again; others may not; bad input is refused', async () => {
    const created = await api('POST', '/api/v1/agents', { id: 'cpu1', name: 'CPU box', tags: ['cpu', 'linux'], max_concurrency: 4 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'cpu1',
      name: 'CPU box',
      status: 'pending',
      tags: ['cpu', 'linux'],
      max_concurrency: 4,
      active_runs: 0,
    });
    expect(created.body.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    secrets.cpu1 = created.body.secret;
    for (const path of ['/api/v1/agents', '/api/v1/agents/cpu1']) {
      const read = await api('GET', path);
      expect(read.status).toBe(200);
      expect(read.text).not.toContain(secrets.cpu1);
      expect(read.text).not.toContain('secret"');
    }
    expect((await api('POST', '/api/v1/agents', { id: 'cpu1' })).status).toBe(409);
    for (const bad of [{ id: '../x' }, { id: 'ok', tags: ['a b'] }, { id: 'ok', max_concurrency: 0 }, { tags: ['x'] }]) {
      const res = await api('POST', '/api/v1/agents', bad);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: true, error_message: expect.any(String) });
    }
    expect((await api('GET', '/api/v1/agents/nope')).status).toBe(404);
    const operator = (await api('POST', '/api/v1/tokens', { name: 'operator-1', role: 'operator' })).body.token;
    expect((await api('POST', '/api/v1/agents', { id: 'sneaky' }, operator)).status).toBe(403);
    // Reads are a viewer's (status, tags, load; never a secret); every change is an admin's.
    const viewer = (await api('POST', '/api/v1/tokens', { name: 'viewer-1', role: 'viewer' })).body.token;
    const seen = await api('GET', '/api/v1/agents', undefined, viewer);
    expect(seen.status).toBe(200);
    expect(JSON.stringify(seen.body)).not.toMatch(/secret"/);
    expect((await api('GET', '/api/v1/agents/cpu1', undefined, viewer)).status).toBe(200);
    expect((await api('PATCH', '/api/v1/agents/cpu1', { disabled: true }, operator)).status).toBe(403);
    expect((await api('POST', '/api/v1/agents/cpu1/rotate-secret', undefined, operator)).status).toBe(403);
    expect((await api('DELETE', '/api/v1/agents/cpu1', undefined, viewer)).status).toBe(403);
    expect((await api('GET', '/api/v1/agents', undefined, null)).status).toBe(401);
    // The trail is written in batches.
    await eventually(
      async () => {
        const audit = (await api('GET', '/api/v1/audit?limit=50')).body as {
          actor: string;
          method: string;
          path: string;
          status: number;
        }[];
        return audit.some((e) => e.actor === 'bootstrap' && e.method === 'POST' && e.path === '/api/v1/agents' && e.status === 201);
      },
      5000,
      'the audit trail',
    );
  });

  it('a pull agent comes online with its heartbeat; a bad secret is refused with 401 and changes nothing', async () => {
    startPull('cpu1');
    await online('cpu1');
    expect(await agent('cpu1')).toMatchObject({ mode: 'pull', version: '0.1.0', os: 'linux', runtimes: { node: process.versions.node } });
    await register('idle1', ['idle']);
    const report = { version: 'x', os: 'x', arch: 'x', runtimes: {}, draining: false, running: [] };
    const heartbeat = (id: string, secret: string) => api('POST', `/api/v1/agents/${id}/heartbeat`, report, secret);
    expect((await heartbeat('idle1', 'not-its-secret')).status).toBe(401);
    // One agent's secret is not another's.
    expect((await heartbeat('idle1', secrets.cpu1)).status).toBe(401);
    expect(await agent('idle1')).toMatchObject({ status: 'pending', last_seen_at: null, version: null });
    await eventually(
      async () => {
        const audit = (await api('GET', '/api/v1/audit?limit=200')).body as { actor: string; path: string; status: number }[];
        return (
          audit.some((e) => e.actor === 'agent:cpu1' && e.path === '/api/v1/agents/cpu1/heartbeat' && e.status === 200) &&
          audit.some((e) => e.path === '/api/v1/agents/idle1/heartbeat' && e.status === 401)
        );
      },
      5000,
      'the audit trail',
    );
  });

  it('routes script runs by tags to a pull agent and to an agent in push mode; output streams; the return value is stored', async () => {
    await register('gpu1', ['gpu']);
    const port = await freePort();
    agents.gpu1 = rt.startAgent(
      {
        AUTOMN_HOST_URL: rt.url,
        AUTOMN_RUNNER_ID: 'gpu1',
        AUTOMN_RUNNER_SECRET: secrets.gpu1,
        AUTOMN_RUNNER_PUBLIC_URL: `http://127.0.0.1:${port}`,
        AUTOMN_RUNNER_PORT: String(port),
        AUTOMN_RUNNER_LISTEN_HOST: '127.0.0.1',
        AUTOMN_RUNNER_STATE_DIR: stateDir('gpu1'),
        AUTOMN_RUNNER_WORKDIR: join(stateDir('gpu1'), 'work'),
        AUTOMN_RUNNER_HEARTBEAT_MS: '300',
      },
      'agent-gpu1',
    );
    await online('gpu1');
    expect(await agent('gpu1')).toMatchObject({ mode: 'push', endpoint: `http://127.0.0.1:${port}/api/run`, version: '0.2.16' });

    const onGpu = await script({
      language: 'python',
      code: 'import json, os\nprint("input", os.environ["INPUT_JSON"])\nAutomnLog("working", "info")\nAutomnReturn({"sum": sum(json.loads(os.environ["INPUT_JSON"])["xs"])})',
      input: { xs: [1, 2, 3] },
      tags: ['gpu'],
    });
    const onCpu = await script({
      language: 'node',
      code: 'const fs = require("fs"); console.log("on", process.env.INPUT_JSON); fs.writeFileSync(process.env.RUNYARD_RESULT_FILE, JSON.stringify({ via: "file" }));',
      input: { who: "'; rm -rf / #" },
      tags: ['cpu'],
    });
    const pinned = await script({ language: 'shell', code: 'echo "pinned to $(hostname)"; AutomnReturn 7', agent: 'cpu1' });
    const gpu = await until(onGpu, ['COMPLETED']);
    expect(gpu).toMatchObject({
      kind: 'script',
      host: 'gpu1',
      exit_code: 0,
      result: { return_data: { sum: 6 }, logs: [expect.objectContaining({ message: 'working' })] },
    });
    expect(await logs(onGpu)).toContain('input {"xs":[1,2,3]}');
    const cpu = await until(onCpu, ['COMPLETED']);
    expect(cpu).toMatchObject({ host: 'cpu1', result: { return_data: { via: 'file' } } });
    expect(JSON.stringify(cpu.argv)).not.toContain('rm -rf');
    expect(await logs(onCpu)).toContain(`on {"who":"'; rm -rf / #"}`);
    expect(await until(pinned, ['COMPLETED'])).toMatchObject({ host: 'cpu1', result: { return_data: 7 } });

    const local = await script({
      language: 'python',
      code: 'import json, os\njson.dump([1, "two"], open(os.environ["RUNYARD_RESULT_FILE"], "w"))\nAutomnReturn("ignored")',
    });
    expect(await until(local, ['COMPLETED'])).toMatchObject({ runner: 'LOCAL', result: { return_data: [1, 'two'] } });
    expect((await api('POST', '/api/v1/scripts/run', { language: 'cobol', code: 'DISPLAY' })).status).toBe(400);
    expect((await api('POST', '/api/v1/scripts/run', { language: 'shell', code: 'x'.repeat(600 * 1024) })).status).toBe(400);
    expect((await api('POST', '/api/v1/scripts/run', { language: 'shell', code: 'echo', tags: ['a b'] })).status).toBe(400);

    const metrics = (await api('GET', '/metrics')).text;
    expect(metrics).toMatch(/^runyard_agents\{status="online"\} 2$/m);
    expect(metrics).toMatch(/^runyard_agents\{status="pending"\} 1$/m);
    expect(metrics).toMatch(/^runyard_agent_active_runs\{agent="cpu1"\} \d+$/m);
  });

  it('a run no agent can take waits QUEUED saying for what, and fails after its QUEUE_TIMEOUT', async () => {
    const res = await api('POST', '/api/v1/runs', { expid: 'w001', profile_name: 'AGENT_NOWHERE' });
    expect(res.status).toBe(202);
    const waiting = await eventually(async () => {
      const r = await run(res.body.id);
      return r.status === 'QUEUED' && r.detail && r;
    });
    expect(waiting.detail).toBe('waiting for an agent with tags nowhere: none is registered');
    expect(await until(res.body.id, ['FAILED'])).toMatchObject({
      detail: expect.stringMatching(/^queue timeout: not started within 2 s \(waiting for an agent with tags nowhere/),
    });
    const both = await script({ language: 'shell', code: 'echo', tags: ['cpu', 'gpu'], queue_timeout: 1 });
    expect(await until(both, ['FAILED'])).toMatchObject({ detail: expect.stringMatching(/waiting for an agent with tags cpu, gpu/) });
  });

  it('an Autosubmit run with an AGENT profile completes with its output; set-job-status runs there; a stop runs autosubmit stop there', async () => {
    behave(rt, 'g001', { seconds: 1 });
    const started = await api('POST', '/api/v1/runs', { expid: 'g001', profile_name: 'AGENT_CPU' });
    const done = await until(started.body.id, ['COMPLETED']);
    expect(done).toMatchObject({
      runner: 'AGENT',
      host: 'cpu1',
      exit_code: 0,
      argv: ['autosubmit', 'run', 'g001'],
      target: { agent: null, tags: ['cpu'] },
    });
    expect(await logs(started.body.id)).toContain('Running experiment g001');

    const set = await api('POST', '/v4/runners/command/set-job-status', {
      expid: 'g001',
      profile_name: 'AGENT_CPU',
      command_params: { job_names_list: ['g001_SIM'], final_status: 'COMPLETED' },
    });
    expect(set.status).toBe(200);
    expect((await run(set.body.run_id)).host).toBe('cpu1');

    behave(rt, 'g002', { seconds: 60 });
    const long = (await api('POST', '/api/v1/runs', { expid: 'g002', profile_name: 'AGENT_CPU' })).body.id;
    await until(long, ['ACTIVE']);
    await eventually(async () => (await logs(long)).includes('Running experiment g002'), 10_000, 'output');
    const stop = await api('POST', `/api/v1/runs/${long}/stop`, {});
    expect(stop.body).toMatchObject({ status: 'TERMINATED' });
    const argv = readFileSync(rt.argvLog, 'utf8');
    expect(argv).toContain('["setstatus","g001","-np","-nt","-s","--list=g001_SIM","--status_final=COMPLETED"]');
    expect(argv).toContain('["stop","-y","g002"]');
    expect(await logs(long)).toContain('[runyard] autosubmit stop answered 0');
  });

  it('scripts silent for longer than every timeout Runyard has for agents are not failed, pulled or pushed', async () => {
    // 7 s: more than the long poll (1.5 s), three heartbeats (0.9 s), the accept timeout (3 s) and the silence window (5 s).
    const code = 'sleep 7; echo "still here"';
    const pulled = await script({ language: 'shell', code, tags: ['cpu'] });
    const pushed = await script({ language: 'shell', code, tags: ['gpu'] });
    for (const id of [pulled, pushed]) {
      expect(await until(id, ['COMPLETED', 'FAILED', 'LOST'], 30_000)).toMatchObject({ status: 'COMPLETED', exit_code: 0 });
      expect(await logs(id)).toBe('still here\n');
    }
  });

  it('an agent killed mid-run (SIGKILL) and started again re-attaches to its run: complete output, nothing twice', async () => {
    const id = await script({ language: 'python', code: counting(40), tags: ['cpu'] });
    await eventually(async () => (await logs(id)).includes('line 00005'), 10_000, 'first lines');
    await agents.cpu1.stop('SIGKILL');
    expect((await run(id)).status).toBe('ACTIVE');
    startPull('cpu1');
    expect(await until(id, ['COMPLETED', 'FAILED', 'LOST'], 30_000)).toMatchObject({ status: 'COMPLETED', host: 'cpu1' });
    expect(await logs(id)).toBe(counted(40));
  });

  it('output cut off by a network outage between agent and API arrives byte-exact, nothing twice', async () => {
    await register('net1', ['net']);
    const proxy = await new TcpProxy('127.0.0.1', Number(new URL(rt.url).port)).start();
    try {
      startPull('net1', `http://127.0.0.1:${proxy.port}`);
      await online('net1');
      const id = await script({ language: 'python', code: counting(3000, 100), tags: ['net'] });
      await eventually(async () => (await logs(id)).includes('line 00200'), 10_000, 'first lines');
      proxy.cut();
      await new Promise((r) => setTimeout(r, 2000));
      proxy.restore();
      expect(await until(id, ['COMPLETED', 'FAILED', 'LOST'], 30_000)).toMatchObject({ status: 'COMPLETED' });
      expect(await logs(id)).toBe(counted(3000));
    } finally {
      await agents.net1.stop();
      await proxy.close();
    }
  });

  it('rotates the secret while a run is active, without downtime: stored atomically (0600), the old one then refused', async () => {
    const id = await script({ language: 'python', code: counting(20), tags: ['cpu'] });
    await until(id, ['ACTIVE']);
    expect((await api('PATCH', '/api/v1/agents/cpu1', { rotate_secret: true })).status).toBe(200);
    const stateFile = join(stateDir('cpu1'), 'agent-state.json');
    const rotated = await eventually(
      async () => {
        const s = JSON.parse(readFileSync(stateFile, 'utf8')).secret as string;
        return s !== secrets.cpu1 && s;
      },
      10_000,
      'the rotated secret',
    );
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    const report = { version: 'x', os: 'x', arch: 'x', runtimes: {}, draining: false, running: [] };
    await eventually(
      async () => (await api('POST', '/api/v1/agents/cpu1/heartbeat', report, secrets.cpu1)).status === 401,
      10_000,
      'the old secret refused',
    );
    expect(await until(id, ['COMPLETED', 'FAILED', 'LOST'])).toMatchObject({ status: 'COMPLETED' });
    expect(await logs(id)).toBe(counted(20));
    expect((await agent('cpu1')).status).toBe('online');
    secrets.cpu1 = rotated;
  });

  it('a worker killed mid-run (SIGKILL) is replaced and the new one re-attaches to the agent run', async () => {
    const id = await script({ language: 'python', code: counting(40), tags: ['cpu'] });
    await until(id, ['ACTIVE']);
    await worker.stop('SIGKILL');
    worker = await rt.startWorker();
    expect(await until(id, ['COMPLETED', 'FAILED', 'LOST'], 30_000)).toMatchObject({ status: 'COMPLETED', host: 'cpu1' });
    expect(await logs(id)).toBe(counted(40));
  });

  it('a worker killed mid-run (SIGKILL) during a push run on a Runyard agent: the new one takes it over, output complete, nothing twice', async () => {
    const code = `${counting(40)}import sys\nprint("done", file=sys.stderr)\nAutomnReturn({"ok": True})\n`;
    const id = await script({ language: 'python', code, tags: ['gpu'] });
    await eventually(async () => (await logs(id)).includes('line 00005'), 10_000, 'some output');
    await worker.stop('SIGKILL');
    worker = await rt.startWorker();
    expect(await until(id, ['COMPLETED', 'FAILED', 'LOST', 'TERMINATED'], 30_000)).toMatchObject({
      status: 'COMPLETED',
      host: 'gpu1',
      result: { return_data: { ok: true } },
    });
    const text = await logs(id);
    expect(text.replace('done\n', '')).toBe(`${counted(40)}__SCRIPTRETURN__{"ok": true}\n`);
    expect(text).toContain('done\n');
  });

  it('a stop of a push run on a Runyard agent stops the script there (a stop request of its own: a closed answer only means its worker is gone)', async () => {
    const pidFile = join(sharedStateDir('runyard-push-stop-'), 'script.pid');
    const code = `import os, time\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\nprint("started", flush=True)\ntime.sleep(600)`;
    const id = await script({ language: 'python', code, tags: ['gpu'] });
    const pid = await eventually(async () => Number(existsSync(pidFile) && readFileSync(pidFile, 'utf8')) || null, 10_000, 'the script');
    expect(processAlive(pid)).toBe(true);
    await api('POST', `/api/v1/runs/${id}/stop`, {});
    expect(await until(id, ['TERMINATED', 'FAILED', 'COMPLETED', 'LOST'])).toMatchObject({
      status: 'TERMINATED',
      host: 'gpu1',
      detail: expect.stringContaining('killed by SIGTERM'),
    });
    await eventually(async () => !processAlive(pid), 10_000, 'the script to be stopped on the agent');
  });

  it('SIGTERM drains an agent: no new runs, the running one finishes, it exits; a second SIGTERM stops its runs', async () => {
    await register('drain1', ['drain']);
    startPull('drain1');
    await online('drain1');
    const first = await script({ language: 'shell', code: 'sleep 2; echo finished', agent: 'drain1' });
    await until(first, ['ACTIVE']);
    void agents.drain1.stop('SIGTERM');
    await eventually(async () => (await agent('drain1')).status === 'draining', 10_000, 'draining');
    const second = await script({ language: 'shell', code: 'echo second', agent: 'drain1' });
    expect(await until(first, ['COMPLETED', 'FAILED'])).toMatchObject({ status: 'COMPLETED' });
    expect(await agents.drain1.exited).toBe(0);
    expect((await run(second)).status).toBe('QUEUED');
    expect((await run(second)).detail).toMatch(/waiting for agent drain1: drain1 is (draining|offline)/);

    startPull('drain1');
    expect(await until(second, ['COMPLETED'])).toMatchObject({ host: 'drain1' });
    const long = await script({ language: 'shell', code: "trap '' TERM; echo long; sleep 60", agent: 'drain1' });
    await eventually(async () => (await logs(long)).includes('long'), 10_000, 'the long run');
    agents.drain1.child.kill('SIGTERM');
    await eventually(async () => (await agent('drain1')).status === 'draining', 10_000, 'draining');
    agents.drain1.child.kill('SIGTERM');
    expect(await until(long, ['FAILED', 'TERMINATED'])).toMatchObject({ status: 'FAILED', detail: 'killed by SIGKILL' });
    expect(await agents.drain1.exited).toBe(0);
  });

  it('a stock Automn runner registers with Runyard as its host and is sent script runs over its /api/run; 429 means wait', async () => {
    await register('stock1', ['stock']);
    const runner = await new FakeAutomnRunner().start();
    try {
      const reg = (id: string, body: unknown) => api('POST', `/api/settings/runner-hosts/${id}/register`, body, null);
      // The stock runner's message of a refused registration: the answer's `error`, else the status line.
      const shown = (r: { status: number; body: Json }) => (r.body?.error ? String(r.body.error) : `${r.status}`);
      const endpoint = `${runner.url}/api/run`;
      expect(await reg('stock1', { endpoint })).toMatchObject({ status: 400, body: { error: 'Runner secret is required' } });
      expect(await reg('stock1', { secret: secrets.stock1 })).toMatchObject({
        status: 400,
        body: { error: 'Runner endpoint is required' },
      });
      const ftp = await reg('stock1', { secret: secrets.stock1, endpoint: 'ftp://127.0.0.1/run' });
      expect(ftp).toMatchObject({ status: 400, body: { error: 'Runner endpoint must be a valid http(s) URL' } });
      const unknown = await reg('nobody', { secret: secrets.stock1, endpoint });
      expect(unknown).toMatchObject({ status: 404, body: { error: 'Runner host not found' } });
      const badSecret = await reg('stock1', { secret: 'not-the-secret-at-all', endpoint });
      expect(badSecret.status).toBe(401);
      expect(badSecret.body).toEqual({ error: 'Invalid runner secret', code: 'invalid_secret' });
      expect(shown(badSecret)).toBe('Invalid runner secret');
      // What the request pipeline refuses before the route (malformed JSON) is in Automn's shape too.
      const malformed = await fetch(`${rt.url}/api/settings/runner-hosts/stock1/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"secret": ',
      });
      expect(malformed.status).toBe(400);
      expect(shown({ status: malformed.status, body: await malformed.json() })).toMatch(/JSON/);
      await api('PATCH', '/api/v1/agents/stock1', { disabled: true });
      const disabled = await reg('stock1', { secret: secrets.stock1, endpoint });
      expect(disabled.status).toBe(403);
      expect(disabled.body).toEqual({ error: 'Runner host is disabled', code: 'runner_disabled' });
      expect((await agent('stock1')).status).toBe('disabled');
      await api('PATCH', '/api/v1/agents/stock1', { disabled: false });
      const ok = await reg('stock1', {
        secret: secrets.stock1,
        endpoint,
        statusMessage: 'Runner heartbeat (startup)',
        maxConcurrency: 2,
        version: '0.2.16',
      });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({
        registered: true,
        hostVersion: '0.2.16',
        minimumRunnerVersion: '0.2.15',
        runnerHost: { id: 'stock1', status: 'healthy', endpoint, maxConcurrency: 2 },
      });
      expect(ok.text).not.toContain(secrets.stock1);

      runner.refuseWith = [429];
      const id = await script({ language: 'node', code: 'AutomnReturn(1)', input: { hello: 'stock' }, tags: ['stock'] });
      const done = await until(id, ['COMPLETED', 'FAILED'], 20_000);
      expect(done).toMatchObject({ status: 'COMPLETED', host: 'stock1', result: { return_data: { stock: true } } });
      expect(await logs(id)).toBe('hello from a stock runner\n');
      const [dispatch] = runner.dispatches;
      expect(dispatch.headers['x-automn-runner-secret']).toBe(secrets.stock1);
      expect(dispatch.body).toMatchObject({
        runId: String(id),
        script: { language: 'node', code: 'AutomnReturn(1)' },
        reqBody: { hello: 'stock' },
      });
    } finally {
      await runner.close();
    }
  });

  it("a push run's stderr is stored as stderr (Runyard's agent says each log frame's stream)", async () => {
    const id = await script({ language: 'shell', code: 'echo to-out; echo to-err >&2', tags: ['gpu'] });
    expect(await until(id, ['COMPLETED'])).toMatchObject({ host: 'gpu1' });
    const frames = (await api('GET', `/api/v1/runs/${id}/logs?follow=true`)).text
      .trim()
      .split('\n')
      .map((l: string) => JSON.parse(l))
      .filter((f: Json) => f.type === 'log');
    expect(frames).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stream: 'stdout', line: 'to-out' }),
        expect.objectContaining({ stream: 'stderr', line: 'to-err' }),
      ]),
    );
  });

  it('a stop of a run on a stock Automn runner (no stop in its protocol) ends the run saying the script may still be running there', async () => {
    await register('stock2', ['stock2']);
    const runner = await new FakeAutomnRunner().start();
    let alive: NodeJS.Timeout | undefined;
    try {
      // It heartbeats as a stock runner does: the same registration, again and again.
      const heartbeat = () =>
        api('POST', '/api/settings/runner-hosts/stock2/register', { secret: secrets.stock2, endpoint: `${runner.url}/api/run` }, null);
      expect((await heartbeat()).status).toBe(200);
      alive = setInterval(() => void heartbeat().catch(() => undefined), 200);
      const id = await script({ language: 'node', code: 'setTimeout(() => {}, 600e3); // LONG', tags: ['stock2'] });
      await until(id, ['ACTIVE']);
      await eventually(async () => (await logs(id)).includes('hello from a stock runner'), 10_000, 'the first log frame');
      await api('POST', `/api/v1/runs/${id}/stop`, {});
      const stopped = await until(id, ['TERMINATED', 'FAILED', 'COMPLETED', 'LOST']);
      expect(stopped.status).toBe('TERMINATED');
      expect(stopped.detail).toContain('stop requested; an Automn runner cannot stop a script — it may still be running on stock2');
      expect(stopped.detail).not.toContain('killed by');
      await eventually(async () => runner.hangUps.includes(String(id)), 5_000, 'the dispatch closed');
    } finally {
      clearInterval(alive);
      await runner.close();
    }
  });

  it('a push run on a stock Automn runner whose worker dies ends LOST saying the script may have completed there, not "vanished"', async () => {
    await register('stock3', ['stock3']);
    const runner = await new FakeAutomnRunner().start();
    let alive: NodeJS.Timeout | undefined;
    try {
      const heartbeat = () =>
        api('POST', '/api/settings/runner-hosts/stock3/register', { secret: secrets.stock3, endpoint: `${runner.url}/api/run` }, null);
      expect((await heartbeat()).status).toBe(200);
      alive = setInterval(() => void heartbeat().catch(() => undefined), 200);
      const id = await script({ language: 'node', code: 'setTimeout(() => {}, 600e3); // LONG', tags: ['stock3'] });
      await until(id, ['ACTIVE']);
      await worker.stop('SIGKILL');
      worker = await rt.startWorker();
      const ended = await until(id, ['COMPLETED', 'FAILED', 'LOST', 'TERMINATED'], 30_000);
      expect(ended.status).toBe('LOST');
      expect(ended.detail).toBe(
        'the worker following the run went away: an Automn runner cannot resume its answer — the script may have completed or still be running on stock3',
      );
    } finally {
      clearInterval(alive);
      await runner.close();
    }
  });

  it("job tokens work for their own run only and until it finishes; a stop reaches the agent's open long poll", async () => {
    // The test is the agent here, speaking the pull protocol itself.
    await register('manual1', ['manual']);
    const as = (path: string, body: unknown, credential: string) => api('POST', path, body, credential);
    const report = { version: 'test', os: 'linux', arch: 'x64', runtimes: {}, draining: false, running: [] };
    expect((await as('/api/v1/agents/manual1/heartbeat', report, secrets.manual1)).status).toBe(200);
    const alive = setInterval(() => void as('/api/v1/agents/manual1/heartbeat', report, secrets.manual1).catch(() => undefined), 200);
    try {
      const poll = (running: { run_id: number; signal_seq: number }[] = [], starting: number[] = []) =>
        as('/api/v1/agents/manual1/poll', { running, starting, commands: [], free_slots: 2 }, secrets.manual1);
      const first = await script({ language: 'shell', code: 'echo one', agent: 'manual1' });
      const second = await script({ language: 'shell', code: 'echo two', agent: 'manual1' });
      // Each poll hands out again what was not taken yet, with a new token: the latest one is the one that works.
      const jobs = new Map<number, Json>();
      await eventually(
        async () => {
          for (const j of (await poll()).body.jobs) jobs.set(j.run_id, j);
          return jobs.size === 2;
        },
        10_000,
        'both runs handed out',
      );
      const [a, b] = [jobs.get(first), jobs.get(second)];
      expect(a.spec).toMatchObject({ program: 'bash', args: ['automn-helpers.sh', 'script.sh'], env: { INPUT_JSON: '{}' } });
      const job = (runId: number, what: string, token: string, body: unknown = {}) =>
        as(`/api/v1/agent-jobs/${runId}/${what}`, body, token);
      expect((await job(first, 'accept', b.token)).status).toBe(401);
      expect((await job(first, 'accept', a.token)).status).toBe(204);
      expect((await job(first, 'started', a.token, { pid: 4242, run_dir: '/tmp/manual' })).status).toBe(204);
      const chunk = { stream: 'stdout', offset: 0, data: Buffer.from('one\n').toString('base64') };
      expect((await job(first, 'output', b.token, chunk)).status).toBe(401);
      expect((await job(first, 'output', a.token, chunk)).body).toEqual({ appended: true, offset: 4 });
      expect((await job(first, 'output', a.token, chunk)).body).toEqual({ appended: false, offset: 4 });

      const stop = api('POST', `/api/v1/runs/${first}/stop`, {});
      const woken = await poll([{ run_id: first, signal_seq: 0 }], [second]);
      expect(woken.body.signals).toEqual([{ run_id: first, signal: 'SIGTERM', seq: 1 }]);
      const finish = { exit_code: null, signal: 'SIGTERM', sizes: { stdout: 8, stderr: 0 } };
      expect(await job(first, 'finish', a.token, finish)).toMatchObject({ status: 409, body: { offsets: { stdout: 4, stderr: 0 } } });
      expect((await job(first, 'finish', a.token, { ...finish, sizes: { stdout: 4, stderr: 0 } })).status).toBe(204);
      expect((await stop).body).toMatchObject({ status: 'TERMINATED' });
      // Finished, then released: the token opens nothing any more.
      expect([401, 410]).toContain((await job(first, 'output', a.token, { ...chunk, offset: 4 })).status);
      expect(await logs(first)).toContain('one\n');
      expect((await job(second, 'decline', b.token)).status).toBe(204);
    } finally {
      clearInterval(alive);
    }
  });

  it('runyard agents lists them; runyard script run FILE --tags … --wait follows the run and says what it returned', async () => {
    const asAdmin = (args: string[]) => cli(rt, args, { RUNYARD_TOKEN: ADMIN });
    const list = await asAdmin(['agents']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^cpu1\s+online\s+pull\s+cpu,linux\s+\d+\/4\s/m);
    const file = join(rt.dir, 'hello.py');
    writeFileSync(file, 'import json, os\nprint("hello", json.loads(os.environ["INPUT_JSON"])["who"])\nAutomnReturn({"ok": True})\n');
    const r = await asAdmin(['script', 'run', file, '--tags', 'cpu', '--input', '{"who":"agent"}', '--wait']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('hello agent\n');
    expect(r.stderr).toContain('returned {"ok":true}');
  });
});
