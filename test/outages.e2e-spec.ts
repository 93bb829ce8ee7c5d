import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordedArgv } from './support/argv-log';
import { behave } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { FIXTURES, profilesYaml, RunyardUnderTest, sharedStateDir, startRunyard } from './support/runyard';
import { startSshd, TestSshd } from './support/sshd';
import { TcpProxy } from './support/tcp-proxy';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A request during an outage: its status, body and how long it took to answer. */
async function timed(base: string, method: string, path: string, body?: unknown) {
  const started = Date.now();
  const res = await call(base, method, path, body);
  return { path, status: res.status, body: res.body, ms: Date.now() - started };
}

/** What the stand-in prints for `run EXPID` with ticks for `seconds`, as its lines. */
function printedLines(expid: string, seconds: number): string[] {
  return [
    'Autosubmit is running with 4.1.16',
    'Checking the connection to all platforms in use',
    `Running experiment ${expid}`,
    '[WARNING] fake autosubmit: no job is really submitted',
    ...Array.from({ length: seconds * 10 }, (_, i) => `tick ${i}`),
    'Run successful',
  ];
}

describe('Postgres going away under load', () => {
  let proxy: TcpProxy;
  let rt: RunyardUnderTest;
  const get = async (id: number) => (await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body;

  beforeAll(async () => {
    proxy = await new TcpProxy('127.0.0.1', 5432).start();
    rt = await startRunyard({ config: profilesYaml(), databaseVia: (url) => proxy.through(url) });
  });
  afterAll(async () => {
    proxy?.restore();
    await rt?.close();
    await proxy?.close();
  });

  it('answers 503 at once while it is away, then ends every run truthfully with its output byte for byte', async () => {
    const runs: { expid: string; seconds: number; id: number }[] = [];
    for (const [expid, seconds] of [
      ['o001', 5],
      ['o002', 7],
      ['o003', 16],
    ] as const) {
      behave(rt, expid, { seconds, ticks: true });
      const res = await call(rt.url, 'POST', '/api/v1/runs', { expid, profile_name: 'LOCAL_NO_MODULE' });
      expect(res.status).toBe(202);
      runs.push({ expid, seconds, id: res.body.id });
    }
    for (const r of runs) await eventually(async () => (await get(r.id)).status === 'ACTIVE', 10_000, `${r.expid} active`);
    await sleep(1000);

    proxy.cut();
    const answers = [];
    for (let i = 0; i < 3; i++) {
      answers.push(
        await timed(rt.url, 'POST', '/api/v1/runs', { expid: `x00${i}`, profile_name: 'LOCAL_NO_MODULE' }),
        await timed(rt.url, 'GET', `/api/v1/runs/${runs[0].id}`),
        await timed(rt.url, 'POST', '/v4/runners/command/get-runner-run-status', { expid: 'o001' }),
        await timed(rt.url, 'GET', '/health/ready'),
      );
      await sleep(2000);
    }
    await sleep(Math.max(0, 10_000 - 3 * 2000 - answers.reduce((n, a) => n + a.ms, 0)));
    proxy.restore();
    const restoredAt = Date.now();

    for (const a of answers) {
      expect({ path: a.path, status: a.status }).toEqual({ path: a.path, status: 503 });
      expect(a.body).toMatchObject({ error: true, error_message: expect.any(String) });
      expect(a.ms).toBeLessThan(5000);
    }
    // The first two exited while Postgres was away: finished within 10 s of its return.
    const finishedAfter: number[] = [];
    for (const r of runs.slice(0, 2)) {
      const done = await eventually(
        async () => {
          const run = await get(r.id);
          return run.status === 'COMPLETED' && run;
        },
        10_000 - (Date.now() - restoredAt) + 1000,
        `${r.expid} completed after the outage`,
      );
      expect(done.exit_code).toBe(0);
      finishedAfter.push(Date.now() - restoredAt);
    }
    await eventually(async () => (await get(runs[2].id)).status === 'COMPLETED', 20_000, 'the long run completed');
    for (const r of runs) {
      const text = (await call(rt.url, 'GET', `/api/v1/runs/${r.id}/logs`)).text;
      const expected = printedLines(r.expid, r.seconds);
      // Both streams in arrival order: stdout exact, the one stderr line somewhere in between.
      expect(text.split('\n').filter(Boolean).sort()).toEqual([...expected].sort());
      expect(text.split('\n').filter((l) => l.startsWith('tick '))).toEqual(expected.filter((l) => l.startsWith('tick ')));
      expect((await get(r.id)).log_bytes).toBe(Buffer.byteLength(expected.join('\n') + '\n'));
    }
    // The refused submissions never ran.
    expect(recordedArgv(rt.argvLog).filter((a) => a[1]?.startsWith('x00'))).toEqual([]);
    const slowest = Math.max(...answers.map((a) => a.ms));
    console.log(
      `outage figures: Postgres cut 10 s: ${answers.length} answers all 503, slowest ${slowest} ms; ` +
        `runs that exited during the cut COMPLETED ${finishedAfter.join(' and ')} ms after it returned; output byte for byte`,
    );
  });
});

describe('Redis going away', () => {
  let proxy: TcpProxy;
  let rt: RunyardUnderTest;

  beforeAll(async () => {
    proxy = await new TcpProxy('127.0.0.1', 6379).start();
    rt = await startRunyard({ config: profilesYaml(), redisVia: (url) => proxy.through(url), env: { REQUEUE_AFTER_MS: '1000' } });
  });
  afterAll(async () => {
    proxy?.restore();
    await rt?.close();
    await proxy?.close();
  });

  it('answers a run 503 within 6 s while it is unreachable, and that run never executes', async () => {
    behave(rt, 'q001', { seconds: 0 });
    proxy.cut();
    const refused = await timed(rt.url, 'POST', '/api/v1/runs', { expid: 'q001', profile_name: 'LOCAL_NO_MODULE' });
    expect(refused.status).toBe(503);
    expect(refused.ms).toBeLessThan(6000);
    expect(refused.body).toMatchObject({ error: true, run_id: expect.any(Number) });
    proxy.restore();
    // Long enough for the reconciler to have re-enqueued a queued run without a job.
    await sleep(5000);
    const run = (await call(rt.url, 'GET', `/api/v1/runs/${refused.body.run_id}`)).body;
    expect(run).toMatchObject({ status: 'FAILED', pid: null, started_at: null });
    expect(recordedArgv(rt.argvLog)).not.toContainEqual(['run', 'q001']);
    console.log(`outage figures: Redis unreachable: a run POST answered 503 in ${refused.ms} ms; that run ended FAILED, never executed`);
    // Redis back: the same experiment runs normally (the refused run holds no lock on it).
    const again = await call(rt.url, 'POST', '/api/v1/runs', { expid: 'q001', profile_name: 'LOCAL_NO_MODULE' });
    expect(again.status).toBe(202);
    await eventually(async () => (await call(rt.url, 'GET', `/api/v1/runs/${again.body.id}`)).body.status === 'COMPLETED', 15_000);
  });
});

describe('an SSH host going away', () => {
  let sshd: TestSshd;
  let proxy: TcpProxy;
  let rt: RunyardUnderTest;
  // The stand-in on the host and the test share its state (how long each run lasts): one machine.
  const state = sharedStateDir('runyard-outage-ssh-');

  beforeAll(async () => {
    sshd = await startSshd({ env: { FAKE_AUTOSUBMIT_STATE: state } });
    proxy = await new TcpProxy('127.0.0.1', sshd.port).start();
    const config = `
RUNNER_CONFIGURATION:
  PROFILES:
    SSH_HOST:
      RUNNER_TYPE: SSH
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${join(FIXTURES, 'bin', 'autosubmit')}
      SSH:
        HOST: 127.0.0.1
        PORT: ${proxy.port}
        USER: ${sshd.user}
        IDENTITY_FILE: ${sshd.clientKeyPath}
        HOST_KEY_FINGERPRINT: ${sshd.hostKeyFingerprint}
        CONNECT_TIMEOUT: 2
        KEEPALIVE_INTERVAL: 1
`;
    rt = await startRunyard({ config, env: { STOP_GRACE_MS: '2000', FAKE_AUTOSUBMIT_STATE: state } });
  });
  afterAll(async () => {
    proxy?.restore();
    await rt?.close();
    await proxy?.close();
    await sshd?.stop();
  });

  it('carries out a stop sent while the host is down once it is back, and starts a run 2 s after it returns', async () => {
    behave(rt, 's001', { seconds: 120 });
    behave(rt, 's002', { seconds: 1 });
    const start = await call(rt.url, 'POST', '/api/v1/runs', { expid: 's001', profile_name: 'SSH_HOST' });
    expect(start.status).toBe(202);
    await eventually(async () => (await call(rt.url, 'GET', `/api/v1/runs/${start.body.id}`)).body.status === 'ACTIVE', 15_000);
    proxy.cut();
    const stop = await call(rt.url, 'POST', `/api/v1/runs/${start.body.id}/stop`, {});
    expect(stop.status).toBe(200);
    expect(stop.body.status).toBe('STOPPING');
    await sleep(10_000);
    proxy.restore();
    const restoredAt = Date.now();
    await sleep(2000);
    const next = await call(rt.url, 'POST', '/api/v1/runs', { expid: 's002', profile_name: 'SSH_HOST' });
    expect(next.status).toBe(202);
    const started = await eventually(
      async () => {
        const r = (await call(rt.url, 'GET', `/api/v1/runs/${next.body.id}`)).body;
        return r.status !== 'QUEUED' && r.status !== 'STARTING' && r;
      },
      10_000,
      's002 to start',
    );
    expect(started.detail ?? '').not.toMatch(/launch failed/);
    const stopped = await eventually(
      async () => {
        const r = (await call(rt.url, 'GET', `/api/v1/runs/${start.body.id}`)).body;
        return r.status !== 'STOPPING' && r.status !== 'ACTIVE' && r;
      },
      20_000,
      's001 to end',
    );
    expect(stopped.status).toBe('TERMINATED');
    const terminatedAfter = Date.now() - restoredAt;
    expect(terminatedAfter).toBeLessThan(20_000);
    console.log(
      `outage figures: SSH host away 10 s: the stop sent meanwhile ended the run TERMINATED ${terminatedAfter} ms after the host returned; ` +
        `a run requested 2 s after it started (${started.status})`,
    );
    expect(readFileSync(join(sshd.dir, 'sshd.log'), 'utf8')).toContain('Accepted publickey');
  });
});
