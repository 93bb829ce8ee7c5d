import { join } from 'node:path';
import { recordedArgv } from './support/argv-log';
import { behave, processAlive } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { FIXTURES, profilesYaml, RunyardProcess, RunyardUnderTest, sharedStateDir, startRunyard } from './support/runyard';
import { startSshd, TestSshd } from './support/sshd';
import { TcpProxy } from './support/tcp-proxy';

const SECRET = 'sw0rdfish-0f-the-night-2026';
const FAKE_AUTOSUBMIT = join(FIXTURES, 'bin', 'autosubmit');

/** Run policies through LOCAL and SSH: timeouts, retries, concurrency limits, masked secrets. */
describe('run policies', () => {
  let sshd: TestSshd;
  let proxy: TcpProxy;
  let rt: RunyardUnderTest;
  const workers: RunyardProcess[] = [];
  // The stand-in on the SSH host and the test share its state (how each run behaves): one machine.
  const state = sharedStateDir('runyard-policies-');

  const submit = async (expid: string, profile: string) => {
    const res = await call(rt.url, 'POST', '/api/v1/runs', { expid, profile_name: profile });
    expect(res.status).toBe(202);
    return res.body.id as number;
  };
  const get = async (id: number) => (await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body;
  const ended = (id: number, timeoutMs = 20_000) =>
    eventually(
      async () => {
        const r = await get(id);
        return ['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'].includes(r.status) && r;
      },
      timeoutMs,
      `run ${id} to end`,
    );

  beforeAll(async () => {
    sshd = await startSshd({ env: { FAKE_AUTOSUBMIT_STATE: state } });
    proxy = await new TcpProxy('127.0.0.1', sshd.port).start();
    const ssh = (port: number, extra = '') => `      SSH:
        HOST: 127.0.0.1
        PORT: ${port}
        USER: ${sshd.user}
        IDENTITY_FILE: ${sshd.clientKeyPath}
        HOST_KEY_FINGERPRINT: ${sshd.hostKeyFingerprint}
        CONNECT_TIMEOUT: 2
${extra}`;
    const profiles = `
    LOCAL_TIMEOUT:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      TIMEOUT: 2
    LOCAL_TWO_AT_A_TIME:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      MAX_CONCURRENT_RUNS: 2
    LOCAL_SECRET:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SECRETS: [POLICY_API_KEY]
    SSH_TIMEOUT:
      RUNNER_TYPE: SSH
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${FAKE_AUTOSUBMIT}
      TIMEOUT: 2
${ssh(sshd.port)}
    SSH_SECRET:
      RUNNER_TYPE: SSH
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${FAKE_AUTOSUBMIT}
      SECRETS: [POLICY_API_KEY]
${ssh(sshd.port)}
    SSH_FLAKY_HOST:
      RUNNER_TYPE: SSH
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${FAKE_AUTOSUBMIT}
      RETRY: {MAX: 10, BACKOFF: fixed, DELAY: 3}
${ssh(proxy.port)}
`;
    rt = await startRunyard({
      config: profilesYaml(profiles, '  SSH:\n    ENABLED: True\n'),
      role: 'api',
      env: { FAKE_AUTOSUBMIT_STATE: state, POLICY_API_KEY: SECRET, STOP_GRACE_MS: '1000' },
    });
    workers.push(await rt.startWorker(), await rt.startWorker());
  });
  afterAll(async () => {
    proxy?.restore();
    await rt?.close();
    await proxy?.close();
    await sshd?.stop();
  });

  it.each([
    ['LOCAL', 't001', 'LOCAL_TIMEOUT'],
    ['SSH', 't002', 'SSH_TIMEOUT'],
  ])('stops a %s run past its TIMEOUT: FAILED, saying so, its process group gone', async (_runner, expid, profile) => {
    behave(rt, expid, { seconds: 60 });
    const id = await submit(expid, profile);
    const active = await eventually(async () => {
      const r = await get(id);
      return r.status === 'ACTIVE' && r;
    }, 15_000);
    expect(active.deadline_at).toBeTruthy();
    const done = await ended(id, 15_000);
    expect(done.status).toBe('FAILED');
    expect(done.detail).toMatch(/^timed out after 2 s; /);
    expect(processAlive(active.pid)).toBe(false);
    expect((await call(rt.url, 'GET', `/api/v1/runs/${id}/logs`)).text).toContain('[runyard] timed out after 2 s: stopping it');
  });

  it('starts an SSH run on a retry once its host comes back after 20 s', async () => {
    behave(rt, 'r001', { seconds: 0 });
    proxy.cut();
    const id = await submit('r001', 'SSH_FLAKY_HOST');
    const waiting = await eventually(async () => {
      const r = await get(id);
      return r.attempts > 1 && r;
    }, 15_000);
    expect(waiting).toMatchObject({ status: 'QUEUED', last_error: expect.stringMatching(/^launch failed: /) });
    expect(waiting.detail).toMatch(/attempt \d+ of 11 in 3 s$/);
    await new Promise((r) => setTimeout(r, 20_000));
    proxy.restore();
    const done = await ended(id, 20_000);
    expect(done.status).toBe('COMPLETED');
    expect(done.attempts).toBeGreaterThanOrEqual(5);
  });

  it('runs at most MAX_CONCURRENT_RUNS of a profile at once across two workers; the others wait QUEUED saying why', async () => {
    const expids = ['c001', 'c002', 'c003', 'c004', 'c005', 'c006'];
    for (const e of expids) behave(rt, e, { seconds: 2 });
    const ids: number[] = [];
    for (const e of expids) ids.push(await submit(e, 'LOCAL_TWO_AT_A_TIME'));
    const waiting = await eventually(async () => {
      for (const id of ids) {
        const r = await get(id);
        if (r.status === 'QUEUED' && r.detail) return r;
      }
      return null;
    }, 10_000);
    expect(waiting.detail).toBe('waiting: profile LOCAL_TWO_AT_A_TIME has 2 of 2 runs active (MAX_CONCURRENT_RUNS)');
    const runs: Record<string, string>[] = [];
    for (const id of ids) runs.push(await ended(id, 60_000));
    expect(runs.filter((r) => r.status !== 'COMPLETED').map((r) => `run ${r.id} ${r.status}: ${r.detail} (exit ${r.exit_code})`)).toEqual(
      [],
    );
    // The most runs alive at one moment, from when each started and ended.
    const edges = runs.flatMap((r) => [
      { at: Date.parse(r.started_at), d: 1 },
      { at: Date.parse(r.finished_at), d: -1 },
    ]);
    edges.sort((a, b) => a.at - b.at || a.d - b.d);
    let alive = 0;
    let most = 0;
    for (const e of edges) most = Math.max(most, (alive += e.d));
    expect(most).toBe(2);
    expect(new Set(runs.map((r) => r.host)).size).toBe(1);
  });

  it.each([
    ['LOCAL', 's001', 'LOCAL_SECRET'],
    ['SSH', 's002', 'SSH_SECRET'],
  ])("masks a %s run's secret everywhere it is read, also when printed across two chunks", async (_runner, expid, profile) => {
    behave(rt, expid, { seconds: 0, leak: 'POLICY_API_KEY' });
    const id = await submit(expid, profile);
    const done = await ended(id);
    expect(done.status).toBe('COMPLETED');
    // stdout's line, whatever stderr wrote in between
    const logs = (await call(rt.url, 'GET', `/api/v1/runs/${id}/logs`)).text;
    expect(logs).toContain('[MASKED] (done)');
    const followed = (await call(rt.url, 'GET', `/api/v1/runs/${id}/logs?follow=true`)).text;
    expect(followed).toContain('[MASKED] (done)');
    const job = await eventually(
      async () => {
        const board = await fetch(`${rt.url}/admin/queues/api/queues?activeQueue=runyard-runs&status=completed&page=1&jobsPerPage=100`);
        const queues = ((await board.json()) as { queues: { name: string; jobs: { id: string; name: string }[] }[] }).queues;
        return queues.find((q) => q.name === 'runyard-runs')?.jobs.find((j) => j.name === `run ${id} · Autosubmit ${expid} run`);
      },
      10_000,
      'the completed job',
    );
    const tail = await eventually(
      async () => {
        const res = await fetch(`${rt.url}/admin/queues/api/queues/runyard-runs/${job.id}/logs`);
        const body = (await res.json()) as string[] | { logs: string[] };
        const text = (Array.isArray(body) ? body : body.logs).join('\n');
        return text.includes('[MASKED]') && text;
      },
      10_000,
      'the dashboard tail',
    );
    for (const seen of [logs, followed, tail, JSON.stringify(done), JSON.stringify(recordedArgv(rt.argvLog))]) {
      expect(seen).not.toContain(SECRET);
      expect(seen).not.toContain(SECRET.slice(SECRET.length / 2));
    }
  });
});
