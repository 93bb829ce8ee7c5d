import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordedArgv } from './support/argv-log';
import { behave } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { freePort, profilesYaml, RunyardProcess, RunyardUnderTest, startRunyard } from './support/runyard';

/** A Redis of the test's own on `port` (no persistence), standing for the one that comes back. */
function startPrivateRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}

/** The runs as the API shows them and the last lines of the log (a crash's trace included): what a timeout prints. */
async function whereRunsStand(rt: RunyardUnderTest, ids: number[]): Promise<string> {
  const runs = await Promise.all(ids.map(async (id) => (await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body));
  const lines = readFileSync(join(rt.dir, 'runyard.log'), 'utf8').trimEnd().split('\n').slice(-60);
  const shown = lines.map((l) => {
    if (!l.startsWith('{')) return l;
    const j = JSON.parse(l) as { time: number; pid: number; context?: string; msg: string };
    return `${new Date(j.time).toISOString()} pid ${j.pid} ${j.context ?? ''}: ${j.msg}`;
  });
  return [
    ...runs.map(
      (r) => `run ${r.id} (${r.expid}): ${r.status}, ${r.detail ?? '-'}; started ${r.started_at ?? 'never'}, pid ${r.pid ?? '-'}`,
    ),
    `last lines of ${join(rt.dir, 'runyard.log')}:`,
    ...shown,
  ].join('\n');
}

/** The log lines (JSON) one process wrote to the shared log file. */
function linesOf(rt: RunyardUnderTest, pid: number): { context?: string; msg: string }[] {
  return readFileSync(join(rt.dir, 'runyard.log'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { pid: number; context?: string; msg: string })
    .filter((l) => l.pid === pid);
}

describe.each(['api', 'all'] as const)('the %s role started while its Redis is unreachable', (role) => {
  let rt: RunyardUnderTest;
  let redis: ChildProcess | undefined;
  let worker: RunyardProcess | undefined;
  let redisPort: number;

  beforeAll(async () => {
    redisPort = await freePort(); // nothing listens there yet
    rt = await startRunyard({
      config: profilesYaml(),
      role,
      waitFor: 'alive',
      redisVia: (url) => Object.assign(new URL(url), { port: String(redisPort) }).toString(),
      env: { REQUEUE_AFTER_MS: '1000' },
    });
    if (role === 'api') worker = await rt.startWorker();
  });
  afterAll(async () => {
    await rt?.close();
    redis?.kill();
  });

  it('serves at once: alive, not ready naming the queue, run submissions 503; once Redis appears, a run completes', async () => {
    expect((await call(rt.url, 'GET', '/health')).status).toBe(200);
    const ready = await call(rt.url, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ error: true, error_message: expect.stringContaining('queue') });

    const native = await call(rt.url, 'POST', '/api/v1/runs', { expid: 's001', profile_name: 'LOCAL_NO_MODULE' });
    expect(native.status).toBe(503);
    expect(native.body).toMatchObject({ error: true, error_message: expect.any(String) });
    const v4 = await call(rt.url, 'POST', '/v4/runners/command/run-experiment', { expid: 's002', profile_name: 'LOCAL_NO_MODULE' });
    expect(v4.status).toBe(503);
    expect(v4.body).toMatchObject({ error: true, error_message: expect.any(String) });

    // What reads the queue answers without it instead of hanging: /metrics without the queue's figures, the dashboard 503.
    const metrics = await fetch(`${rt.url}/metrics`);
    expect(metrics.status).toBe(200);
    const scraped = await metrics.text();
    expect(scraped).toMatch(/^runyard_runs\{status="FAILED",kind="run"\} 2$/m); // the two refused POSTs
    expect(scraped).not.toMatch(/^runyard_queue_jobs\{/m);
    const board = await call(rt.url, 'GET', '/admin/queues/api/queues');
    expect(board.status).toBe(503);
    expect(board.body).toMatchObject({ error: true, error_message: expect.stringContaining('the queue is unavailable') });

    if (worker) {
      // The worker process started too, and says what it waits for.
      const lines = linesOf(rt, worker.child.pid!);
      expect(worker.child.exitCode).toBeNull();
      expect(lines.map((l) => l.msg)).toContainEqual(expect.stringMatching(/^redis unavailable: .*ECONNREFUSED/));
    }

    redis = startPrivateRedis(redisPort);
    await eventually(async () => (await call(rt.url, 'GET', '/health/ready')).status === 200, 30_000, 'ready once Redis is there');
    behave(rt, 's003', { seconds: 0 });
    const accepted = await call(rt.url, 'POST', '/api/v1/runs', { expid: 's003', profile_name: 'LOCAL_NO_MODULE' });
    expect(accepted.status).toBe(202);
    await eventually(
      async () => (await call(rt.url, 'GET', `/api/v1/runs/${accepted.body.id}`)).body.status === 'COMPLETED',
      30_000,
      'the run submitted after Redis appeared COMPLETED',
    );
    if (worker) expect(linesOf(rt, worker.child.pid!).map((l) => l.msg)).toContain('redis available again');
    expect((await call(rt.url, 'GET', '/admin/queues/api/queues')).status).toBe(200);
    expect(await (await fetch(`${rt.url}/metrics`)).text()).toMatch(/^runyard_queue_jobs\{queue="runyard-runs",state="waiting"\} \d+$/m);
  });
});

describe('the all role restarted while Redis is away, with a run waiting in the queue', () => {
  const oneAtATime = `
    LOCAL_ONE_AT_A_TIME:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      MAX_CONCURRENT_RUNS: 1`;
  let rt: RunyardUnderTest;
  let redis: ChildProcess;
  let redisPort: number;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = startPrivateRedis(redisPort);
    rt = await startRunyard({
      config: profilesYaml(oneAtATime),
      waitFor: 'alive',
      redisVia: (url) => Object.assign(new URL(url), { port: String(redisPort) }).toString(),
      env: { REQUEUE_AFTER_MS: '1000' },
    });
  });
  afterAll(async () => {
    await rt?.close();
    redis?.kill();
  });

  it('serves at once, and runs the waiting run once a (fresh) Redis appears', async () => {
    await eventually(async () => (await call(rt.url, 'GET', '/health/ready')).status === 200, 30_000, 'ready');
    behave(rt, 'w001', { seconds: 3 });
    behave(rt, 'w002', { seconds: 0 });
    const get = async (id: number) => (await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body;
    const first = await call(rt.url, 'POST', '/api/v1/runs', { expid: 'w001', profile_name: 'LOCAL_ONE_AT_A_TIME' });
    // w001 holds the profile's one slot before w002 is sent (sent together, w002 may take it first and never wait).
    // It may still be starting when the process stops below: a stop at any point of a start is the case tested.
    await eventually(async () => (await get(first.body.id)).status !== 'QUEUED', 15_000, 'w001 takes the slot');
    const second = await call(rt.url, 'POST', '/api/v1/runs', { expid: 'w002', profile_name: 'LOCAL_ONE_AT_A_TIME' });
    expect([first.status, second.status]).toEqual([202, 202]);
    await eventually(
      async () => (await get(second.body.id)).detail?.startsWith('waiting: profile LOCAL_ONE_AT_A_TIME'),
      15_000,
      'w002 waits',
    );

    await rt.api.stop();
    redis.kill();
    await new Promise((r) => redis.once('exit', r));
    await rt.restartApi(); // waits for /health only: Redis is away
    const ready = await call(rt.url, 'GET', '/health/ready');
    expect(ready.status).toBe(503);

    redis = startPrivateRedis(redisPort); // empty: the waiting run's job is gone with the old one
    const ids = [first.body.id as number, second.body.id as number];
    for (const id of ids) {
      await eventually(
        async () => (await get(id)).status === 'COMPLETED',
        30_000,
        `run ${id} COMPLETED`,
        () => whereRunsStand(rt, ids),
      );
    }
    // Stopped at any point of its start (claimed, launching, ACTIVE), w001 ran once, and the record says where and when it started.
    expect(await get(first.body.id)).toMatchObject({ detail: 'exit code 0', started_at: expect.any(String), pid: expect.any(Number) });
    expect(recordedArgv(rt.argvLog).filter((a) => a[0] === 'run' && a[1] === 'w001')).toHaveLength(1);
  });
});

describe('an API stopped while its Redis is still unreachable', () => {
  it('exits on SIGTERM like any other time', async () => {
    const redisPort = await freePort();
    const rt = await startRunyard({
      config: profilesYaml(),
      waitFor: 'alive',
      redisVia: (url) => Object.assign(new URL(url), { port: String(redisPort) }).toString(),
    });
    const worker = await rt.startWorker();
    try {
      expect((await call(rt.url, 'GET', '/health')).status).toBe(200);
      // Nest re-raises the signal after its shutdown hooks: a graceful stop ends with SIGTERM.
      expect(await rt.api.stop('SIGTERM')).toBe('SIGTERM');
      expect(await worker.stop('SIGTERM')).toBe('SIGTERM');
    } finally {
      await rt.close();
    }
  });
});
