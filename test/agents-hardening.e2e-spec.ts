import { existsSync, readFileSync } from 'node:fs';
import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { call, eventually } from './support/http';
import { freePort, profilesYaml, RunyardProcess, RunyardUnderTest, sharedStateDir, startRunyard } from './support/runyard';

const ADMIN = 'bootstrap-admin-secret-for-agent-attacks';
const MiB = 1024 * 1024;
/** Where the agents' scripts (accounts of their own) leave what the spec looks for. */
const SHARED = sharedStateDir('runyard-agent-attacks-');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
type Json = any;

interface Recorded {
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A server of the test's making on `host` (a loopback address): `handle` answers, every request is recorded. */
async function listen(host: string, handle: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void) {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ url: req.url ?? '/', headers: req.headers, body });
      handle(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const url = `http://${host}:${(server.address() as { port: number }).port}`;
  return {
    url,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Peak resident memory of a process (kB), from /proc. */
const peakRssKb = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/**
 * The issue-22 attacks on runner agents, each from the attacker's side, against the built Runyard
 * (API and worker apart) with real agent processes. Push agents listen on 127.0.0.2, the one range
 * the worker may send requests to (AGENT_ENDPOINT_ALLOW); the API also allows 127.0.0.3, so that a
 * registration there is refused only when the worker connects.
 */
describe('runner agents under attack', () => {
  let rt: RunyardUnderTest;
  let worker: RunyardProcess;
  const secrets: Record<string, string> = {};
  const stops: (() => Promise<unknown>)[] = [];

  const api = (method: string, path: string, body?: unknown, token: string | null = ADMIN) => call(rt.url, method, path, body, token);
  const run = async (id: number): Promise<Json> => (await api('GET', `/api/v1/runs/${id}`)).body;
  const logs = async (id: number): Promise<string> => (await api('GET', `/api/v1/runs/${id}/logs`)).text;
  const until = (id: number, statuses: string[], timeoutMs = 30_000) =>
    eventually(
      async () => {
        const r = await run(id);
        return statuses.includes(r.status) && r;
      },
      timeoutMs,
      `run ${id} in ${statuses.join('/')}`,
    );
  const script = async (body: Record<string, unknown>): Promise<number> => {
    const res = await api('POST', '/api/v1/scripts/run', body);
    expect(res.status).toBe(202);
    return res.body.id;
  };
  const register = async (id: string) => {
    const res = await api('POST', '/api/v1/agents', { id, tags: [id] });
    expect(res.status).toBe(201);
    secrets[id] = res.body.secret;
  };
  const online = (id: string) =>
    eventually(async () => (await api('GET', `/api/v1/agents/${id}`)).body.status === 'online', 10_000, `${id} online`);
  const automnRegister = (id: string, body: unknown) => api('POST', `/api/settings/runner-hosts/${id}/register`, body, null);

  /** A push agent (Automn's protocol) as a real process; `publicUrl` is where Runyard is told to send its runs. */
  const startPush = async (id: string, port: number, env: Record<string, string> = {}, publicUrl = `http://127.0.0.2:${port}`) => {
    const p = rt.startAgent(
      {
        AUTOMN_HOST_URL: rt.url,
        AUTOMN_RUNNER_ID: id,
        AUTOMN_RUNNER_PUBLIC_URL: publicUrl,
        AUTOMN_RUNNER_PORT: String(port),
        AUTOMN_RUNNER_LISTEN_HOST: '127.0.0.2',
        AUTOMN_RUNNER_STATE_DIR: join(rt.dir, `push-${id}`, 'state'),
        AUTOMN_RUNNER_WORKDIR: join(rt.dir, `push-${id}`, 'work'),
        AUTOMN_RUNNER_HEARTBEAT_MS: '300',
        AUTOMN_RUNNER_KILL_GRACE_MS: '500',
        ...env,
      },
      `push-${id}`,
    );
    const url = `http://${env.AUTOMN_RUNNER_LISTEN_HOST ?? '127.0.0.2'}:${port}`;
    await eventually(async () => (await fetch(`${url}/status`).catch(() => null))?.ok, 10_000, `${id} listening`);
    return { process: p, url };
  };
  /** A plain dispatch, as Automn's host sends it: the runner's secret in a header. */
  const plainDispatch = (url: string, secret: string, code: string) =>
    fetch(`${url}/api/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-automn-runner-secret': secret },
      body: JSON.stringify({ runId: 'attack', script: { language: 'shell', code } }),
    });

  beforeAll(async () => {
    rt = await startRunyard({
      config: profilesYaml(),
      role: 'api',
      env: {
        AUTH_MODE: 'token',
        RUNYARD_BOOTSTRAP_TOKEN: ADMIN,
        AGENT_HEARTBEAT_MS: '300',
        AGENT_LONG_POLL_MS: '20000',
        AGENT_LOST_AFTER_MS: '5000',
        AGENT_ACCEPT_TIMEOUT_MS: '3000',
        AGENT_ENDPOINT_ALLOW: '127.0.0.2/32,127.0.0.3/32',
        RUN_LOG_CAP_BYTES: String(MiB),
      },
    });
    worker = await rt.startWorker({ AGENT_ENDPOINT_ALLOW: '127.0.0.2/32' });
  });
  afterAll(async () => {
    for (const stop of stops) await stop().catch(() => undefined);
    await rt?.close();
  });

  describe('push agents', () => {
    let push1: { process: RunyardProcess; url: string };
    let push1Port: number;
    /** Sits between Runyard and push1, as a listener on the network would, recording what Runyard sends. */
    let wire: Awaited<ReturnType<typeof listen>>;

    beforeAll(async () => {
      await register('push1');
      push1Port = await freePort();
      wire = await listen('127.0.0.2', (req, body, res) => {
        const out = request(
          { host: '127.0.0.2', port: push1Port, method: req.method, path: req.url, headers: req.headers, agent: false },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        out.on('error', () => res.destroy());
        out.end(body);
      });
      stops.push(wire.close);
      push1 = await startPush('push1', push1Port, { AUTOMN_RUNNER_RESET_TOKEN: 'reset-token-push1-0123' }, wire.url);
      stops.push(() => push1.process.stop());
    });

    it('set up through its form, it cannot be taken over: a second secret is refused, and its secret alone runs nothing', async () => {
      const form = (secret: string) => fetch(`${push1.url}/ui/register`, { method: 'POST', body: new URLSearchParams({ secret }) });
      expect((await form(secrets.push1)).status).toBe(200);
      await online('push1');

      const takeover = await form('attacker-secret-0001');
      expect(takeover.status).toBe(409);
      expect(await takeover.text()).toContain('/internal/reset');
      const status = (await (await fetch(`${push1.url}/status`)).json()) as { runner: unknown };
      expect(status.runner).toMatchObject({ secretConfigured: true, locked: true });
      const state = JSON.parse(readFileSync(join(rt.dir, 'push-push1', 'state', 'runner-state.json'), 'utf8'));
      expect(state.secret).toBe(secrets.push1);

      // Its host's key is pinned: a dispatch with the secret (the attacker's, or even the right one) is not signed.
      const marker = join(SHARED, 'push1-taken-over');
      for (const secret of ['attacker-secret-0001', secrets.push1]) {
        const plain = await plainDispatch(push1.url, secret, `id > ${marker}`);
        expect(plain.status).toBe(401);
      }
      expect(existsSync(marker)).toBe(false);

      // Runyard's own signed dispatches still run.
      const id = await script({ language: 'shell', code: 'echo signed', agent: 'push1' });
      expect(await until(id, ['COMPLETED', 'FAILED', 'LOST'])).toMatchObject({ status: 'COMPLETED' });
      expect(await logs(id)).toContain('signed');
    });

    it('a signed dispatch runs once: replayed to the same agent, after its restart, or to another agent, it is refused', async () => {
      await register('push2');
      const push2 = await startPush('push2', await freePort(), { AUTOMN_RUNNER_SECRET: secrets.push2 });
      stops.push(() => push2.process.stop());
      await online('push2');

      const marker = join(SHARED, 'push1-ran');
      const id = await script({ language: 'shell', code: `echo ran >> ${marker}`, agent: 'push1' });
      expect(await until(id, ['COMPLETED', 'FAILED', 'LOST'])).toMatchObject({ status: 'COMPLETED', detail: 'exit code 0' });
      const captured = wire.requests.filter((r) => r.url === '/api/run').at(-1)!;
      expect(captured.headers['x-runyard-signature']).toBeDefined();
      const replay = (url: string) =>
        fetch(`${url}${captured.url}`, {
          method: 'POST',
          headers: Object.fromEntries(
            Object.entries(captured.headers).filter(([k]) => k.startsWith('x-runyard-') || k === 'content-type'),
          ) as Record<string, string>,
          body: captured.body,
        });

      expect((await replay(push1.url)).status).toBe(401);
      expect((await replay(push2.url)).status).toBe(401);
      await push1.process.stop();
      push1 = await startPush('push1', push1Port, { AUTOMN_RUNNER_RESET_TOKEN: 'reset-token-push1-0123' }, wire.url);
      expect((await replay(push1.url)).status).toBe(401);
      expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    });

    it('listens on loopback unless told otherwise', async () => {
      const port = await freePort();
      const p = rt.startAgent(
        {
          AUTOMN_RUNNER_ID: 'bind1',
          AUTOMN_RUNNER_PORT: String(port),
          AUTOMN_RUNNER_STATE_DIR: join(rt.dir, 'push-bind1', 'state'),
          AUTOMN_RUNNER_WORKDIR: join(rt.dir, 'push-bind1', 'work'),
        },
        'push-bind1',
      );
      stops.push(() => p.stop());
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/status`).catch(() => null))?.ok, 10_000, 'bind1 listening');
      const outside = Object.values(networkInterfaces())
        .flat()
        .filter((i) => i && !i.internal && i.family === 'IPv4')
        .map((i) => i!.address);
      expect(outside.length).toBeGreaterThan(0);
      for (const address of outside) {
        await expect(fetch(`http://${address}:${port}/status`)).rejects.toThrow();
      }
    });
  });

  describe("requests Runyard makes on an agent's behalf", () => {
    it('a push endpoint in loopback, private, link-local or metadata ranges is refused at registration, and again when connecting', async () => {
      const target = await listen('127.0.0.1', (_req, _body, res) => res.writeHead(200).end('internal service'));
      stops.push(target.close);
      const port = new URL(target.url).port;
      await register('ssrf1');
      for (const endpoint of [
        `http://127.0.0.1:${port}/steal`,
        `http://localhost:${port}/steal`,
        `http://[::1]:${port}/steal`,
        `http://[::ffff:127.0.0.1]:${port}/steal`,
        `http://0.0.0.0:${port}/steal`,
        'http://169.254.169.254/latest/meta-data/',
        'http://10.1.2.3/',
        'http://192.168.0.1/',
      ]) {
        const res = await automnRegister('ssrf1', { secret: secrets.ssrf1, endpoint });
        expect({ endpoint, status: res.status, body: res.body }).toMatchObject({
          endpoint,
          status: 400,
          // Automn's route answers in Automn's shape, which a stock runner shows.
          body: { error: expect.stringContaining('Runner endpoint is refused') },
        });
      }
      expect(target.requests).toEqual([]);

      // The API allows 127.0.0.3, the worker does not: the dispatch is refused when connecting, nothing is sent.
      const elsewhere = await listen('127.0.0.3', (_req, _body, res) => res.writeHead(200).end());
      stops.push(elsewhere.close);
      expect((await automnRegister('ssrf1', { secret: secrets.ssrf1, endpoint: `${elsewhere.url}/api/run` })).status).toBe(200);
      const id = await script({ language: 'shell', code: 'echo hi', agent: 'ssrf1' });
      const failed = await until(id, ['FAILED', 'COMPLETED', 'LOST']);
      expect(failed.status).toBe('FAILED');
      expect(failed.detail).toContain('127.0.0.3 is a loopback address');
      expect(elsewhere.requests).toEqual([]);
    });

    it("an endpoint's answer never reaches the run's detail: its status code only, in Runyard's words; redirects are not followed", async () => {
      const inside = await listen('127.0.0.1', (_req, _body, res) => res.writeHead(200).end('internal service'));
      stops.push(inside.close);
      let answered = 0;
      const peer = await listen('127.0.0.2', (_req, _body, res) =>
        answered++ === 0
          ? res.writeHead(307, { location: `${inside.url}/steal` }).end()
          : res.writeHead(500, { 'content-type': 'text/plain' }).end('INTERNAL-ADMIN-PAGE password=hunter2'),
      );
      stops.push(peer.close);
      await register('leak1');
      expect((await automnRegister('leak1', { secret: secrets.leak1, endpoint: `${peer.url}/api/run` })).status).toBe(200);
      const redirected = await script({ language: 'shell', code: 'echo hi', agent: 'leak1' });
      expect(await until(redirected, ['FAILED', 'COMPLETED', 'LOST'])).toMatchObject({
        status: 'FAILED',
        detail: expect.stringContaining('HTTP 307'),
      });
      expect(inside.requests).toEqual([]);
      const id = await script({ language: 'shell', code: 'echo hi', agent: 'leak1' });
      const failed = await until(id, ['FAILED', 'COMPLETED', 'LOST']);
      expect(failed.status).toBe('FAILED');
      expect(failed.detail).toContain('HTTP 500');
      expect(JSON.stringify(await run(id))).not.toContain('hunter2');
      expect(await logs(id)).not.toContain('hunter2');
    });

    it('a push answer of 64 MB without a newline ends the run FAILED at the cap; the worker reads it without ballooning', async () => {
      const total = 64 * MiB;
      let sent = 0;
      const piece = Buffer.alloc(MiB, 'x');
      const flood = await listen('127.0.0.2', (_req, _body, res) => {
        res.writeHead(200, { 'content-type': 'application/jsonl' });
        const more = () => {
          while (sent < total && !res.destroyed) {
            sent += piece.length;
            if (!res.write(piece)) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      });
      stops.push(flood.close);
      await register('flood1');
      expect((await automnRegister('flood1', { secret: secrets.flood1, endpoint: `${flood.url}/api/run` })).status).toBe(200);
      const before = peakRssKb(worker.child.pid!);
      const id = await script({ language: 'shell', code: 'echo hi', agent: 'flood1' });
      const failed = await until(id, ['FAILED', 'COMPLETED', 'LOST'], 60_000);
      expect(failed.status).toBe('FAILED');
      expect(failed.detail).toContain("the agent's answer was cut: one line (4 × RUN_LOG_CAP_BYTES + 1 MiB) is over");
      expect(sent).toBeLessThan(total);
      expect(peakRssKb(worker.child.pid!) - before).toBeLessThan(128 * 1024);
      expect((await fetch(`${rt.url}/health/ready`)).status).toBe(200);
    });
  });

  it('a token a push agent prints in two pieces across log frames is stored masked', async () => {
    const token = `ry_abcdef012345_${'P'.repeat(43)}`;
    const peer = await listen('127.0.0.2', (_req, body, res) => {
      const runId = (JSON.parse(body.toString()) as { runId: string }).runId;
      res.writeHead(200, { 'content-type': 'application/jsonl' });
      res.write(`${JSON.stringify({ type: 'log', line: `token is ${token.slice(0, 30)}` })}\n`);
      res.write(`${JSON.stringify({ type: 'log', line: `${token.slice(30)} and more\n` })}\n`);
      const data = { runId, stdout: '', stderr: '', code: 0, duration: 1, returnData: null, automnLogs: [], automnNotifications: [] };
      res.end(`${JSON.stringify({ type: 'result', data })}\n`);
    });
    stops.push(peer.close);
    await register('maskpush');
    expect((await automnRegister('maskpush', { secret: secrets.maskpush, endpoint: `${peer.url}/api/run` })).status).toBe(200);
    const id = await script({ language: 'shell', code: 'echo hi', agent: 'maskpush' });
    expect(await until(id, ['COMPLETED', 'FAILED', 'LOST'])).toMatchObject({ status: 'COMPLETED' });
    const stored = await logs(id);
    expect(stored).toContain('token is [MASKED] and more');
    expect(stored).not.toContain(token.slice(30));
  });

  describe('pull agents (the test speaks the protocol as the agent)', () => {
    const report = { version: 'test', os: 'linux', arch: 'x64', runtimes: {}, draining: false, running: [] };
    const as = (path: string, body: unknown, credential: string, signal?: AbortSignal) =>
      fetch(`${rt.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
        body: JSON.stringify(body),
        signal,
      }).then(async (res) => ({ status: res.status, body: (await res.json().catch(() => null)) as Json }));
    const poll = (id: string, secret = secrets[id], signal?: AbortSignal) =>
      as(`/api/v1/agents/${id}/poll`, { running: [], starting: [], commands: [], free_slots: 2 }, secret, signal);
    /** Keeps the agent online (heartbeats) until the returned function is called. */
    const alive = (id: string) => {
      const timer = setInterval(() => void as(`/api/v1/agents/${id}/heartbeat`, report, secrets[id]).catch(() => undefined), 200);
      return () => clearInterval(timer);
    };
    /** The run handed to the agent through its long poll, accepted and started, as an agent does. */
    const take = async (id: string, runId: number) => {
      const job = await eventually(
        async () => (await poll(id)).body?.jobs?.find((j: Json) => j.run_id === runId),
        10_000,
        `run ${runId} handed to ${id}`,
      );
      const act = (what: string, body: unknown = {}) => as(`/api/v1/agent-jobs/${runId}/${what}`, body, job.token);
      expect((await act('accept')).status).toBe(204);
      expect((await act('started', { pid: 4242, run_dir: '/tmp/attack' })).status).toBe(204);
      return act;
    };

    it("rotating an agent's secret ends its open long poll at once: no run, code or job token reaches it", async () => {
      await register('rev1');
      const quiet = alive('rev1');
      try {
        await online('rev1');
        const old = secrets.rev1;
        const open = poll('rev1', old);
        await new Promise((r) => setTimeout(r, 300));
        expect((await api('POST', '/api/v1/agents/rev1/rotate-secret')).status).toBe(200);
        const id = await script({ language: 'shell', code: 'echo secret-code', agent: 'rev1' });
        const answer = await open;
        expect(answer.status).toBe(401);
        expect(JSON.stringify(answer.body)).not.toContain('secret-code');
        await api('POST', `/api/v1/runs/${id}/stop`, {});
      } finally {
        quiet();
      }
    });

    it('disabling an agent voids its job tokens: its reports are refused and the run ends LOST saying why', async () => {
      await register('rev2');
      const quiet = alive('rev2');
      try {
        await online('rev2');
        const id = await script({ language: 'shell', code: 'echo real', agent: 'rev2' });
        const act = await take('rev2', id);
        const chunk = (text: string, offset: number) => ({ stream: 'stdout', offset, data: Buffer.from(text).toString('base64') });
        expect((await act('output', chunk('real\n', 0))).status).toBe(200);
        expect((await api('PATCH', '/api/v1/agents/rev2', { disabled: true })).status).toBe(200);

        expect([401, 403, 410]).toContain((await act('output', chunk('forged result\n', 5))).status);
        expect([401, 403, 410]).toContain((await act('finish', { exit_code: 0, sizes: { stdout: 5, stderr: 0 } })).status);
        const lost = await until(id, ['LOST', 'COMPLETED', 'FAILED']);
        expect(lost).toMatchObject({ status: 'LOST', detail: expect.stringContaining('agent rev2 was disabled') });
        expect(await logs(id)).not.toContain('forged');
      } finally {
        quiet();
      }
    });

    it('a flood of long polls from one agent: the older ones are answered (empty), the API stays ready', async () => {
      await register('flood2');
      const stop = new AbortController();
      const answered: number[] = [];
      const polls = Array.from({ length: 50 }, (_, i) =>
        poll('flood2', secrets.flood2, stop.signal).then(
          (a) => {
            expect(a).toMatchObject({ status: 200, body: { jobs: [], signals: [], commands: [] } });
            answered.push(i);
          },
          () => undefined,
        ),
      );
      try {
        await eventually(async () => answered.length >= 48, 15_000, 'all but the newest two polls answered');
        expect((await fetch(`${rt.url}/health/ready`)).status).toBe(200);
      } finally {
        stop.abort();
        await Promise.all(polls);
      }
    });

    it("a poll older than the agent's newest hands nothing out: the run goes with the newer poll's job token and completes", async () => {
      await register('seq1');
      const quiet = alive('seq1');
      try {
        await online('seq1');
        const numbered = (seq: number) =>
          as('/api/v1/agents/seq1/poll', { running: [], starting: [], commands: [], free_slots: 2, poll_seq: seq }, secrets.seq1);
        const id = await script({ language: 'shell', code: 'echo ran once', agent: 'seq1' });
        let newest = 2_000;
        const job = await eventually(
          async () => (await numbered(++newest)).body?.jobs?.find((j: Json) => j.run_id === id),
          10_000,
          `run ${id} handed out`,
        );
        // The older poll's handler, still going when the newer poll answered (the agent had ended it, or it
        // waited in another API process), comes late: it must not hand the run out again with a new token.
        const late = await numbered(1_000);
        expect(late).toMatchObject({ status: 409, body: { error: true, poll_seq: newest } });
        expect(late.body.error_message).toContain(`poll 1000 is older than its poll ${newest}`);
        expect(late.body.jobs).toBeUndefined();

        const act = (what: string, body: unknown = {}) => as(`/api/v1/agent-jobs/${id}/${what}`, body, job.token);
        expect((await act('accept')).status).toBe(204);
        expect((await act('started', { pid: 4242, run_dir: '/tmp/seq1' })).status).toBe(204);
        const data = Buffer.from('ran once\n');
        expect((await act('output', { stream: 'stdout', offset: 0, data: data.toString('base64') })).status).toBe(200);
        expect((await act('finish', { exit_code: 0, sizes: { stdout: data.length, stderr: 0 } })).status).toBe(204);
        expect(await until(id, ['COMPLETED', 'FAILED', 'LOST', 'TERMINATED'])).toMatchObject({ status: 'COMPLETED' });
        expect(await logs(id)).toContain('ran once');
      } finally {
        quiet();
      }
    });

    it('a poll number that is not a whole number from 0 to 2^53 - 1 is refused with 400', async () => {
      await register('seq2');
      for (const poll_seq of [-1, 1.5, '7', 2 ** 60, true]) {
        const res = await as(
          '/api/v1/agents/seq2/poll',
          { running: [], starting: [], commands: [], free_slots: 0, poll_seq },
          secrets.seq2,
        );
        expect(res).toMatchObject({ status: 400, body: { error: true, error_message: expect.stringContaining('poll_seq') } });
      }
    });

    it('a token printed in two pieces across output chunks is stored masked', async () => {
      await register('mask1');
      const quiet = alive('mask1');
      try {
        await online('mask1');
        const token = `ry_abcdef012345_${'Q'.repeat(43)}`;
        const id = await script({ language: 'shell', code: 'echo masked', agent: 'mask1' });
        const act = await take('mask1', id);
        const first = Buffer.from(`token is ${token.slice(0, 25)}`);
        const second = Buffer.from(`${token.slice(25)} and more\n`);
        const send = (data: Buffer, offset: number) => act('output', { stream: 'stdout', offset, data: data.toString('base64') });
        expect((await send(first, 0)).status).toBe(200);
        expect((await send(second, first.length)).status).toBe(200);
        const size = first.length + second.length;
        expect((await act('finish', { exit_code: 0, sizes: { stdout: size, stderr: 0 } })).status).toBe(204);
        await until(id, ['COMPLETED']);
        const stored = await logs(id);
        expect(stored).toContain('token is [MASKED] and more');
        expect(stored).not.toContain(token.slice(0, 25));
        expect(stored).not.toContain(token.slice(25));
      } finally {
        quiet();
      }
    });
  });
});
