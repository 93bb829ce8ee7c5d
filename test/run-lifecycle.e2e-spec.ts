import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { Client } from 'pg';
import { behave, processAlive } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { profilesYaml, RunyardProcess, RunyardUnderTest, startRunyard } from './support/runyard';

/** API and workers as separate processes: restarts, crashes, vanished processes, the native API. */
describe('run lifecycle across worker restarts', () => {
  let rt: RunyardUnderTest;
  let worker: RunyardProcess;
  const run = (expid: string) => call(rt.url, 'POST', '/api/v1/runs', { expid, profile_name: 'LOCAL_NO_MODULE' });
  const get = async (id: number) => (await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body;
  const until = (id: number, statuses: string[], timeoutMs = 20_000) =>
    eventually(
      async () => {
        const r = await get(id);
        return statuses.includes(r.status) && r;
      },
      timeoutMs,
      `run ${id} in ${statuses.join('/')}`,
    );
  const logs = async (id: number) => (await call(rt.url, 'GET', `/api/v1/runs/${id}/logs`)).text;

  beforeAll(async () => {
    rt = await startRunyard({ config: profilesYaml(), role: 'api', env: { RUN_LOG_CAP_BYTES: '65536' } });
    worker = await rt.startWorker();
  });
  afterAll(() => rt?.close());

  it('accepts a run with 202 and follows it through the native API', async () => {
    behave(rt, 'n001', { seconds: 1 });
    const res = await run('n001');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: expect.any(Number), expid: 'n001', status: 'QUEUED', kind: 'run', log_bytes: 0, attempts: 1 });
    // The 202 answer is the run document GET answers (every field, the same types), not a partial one.
    const read = await get(res.body.id);
    expect(Object.keys(res.body).sort()).toEqual(Object.keys(read).sort());
    expect(res.body.created_at).toBe(read.created_at);
    const done = await until(res.body.id, ['COMPLETED']);
    expect(done).toMatchObject({ exit_code: 0, argv: ['autosubmit', 'run', 'n001'], host: expect.any(String), pid: expect.any(Number) });
    expect(new Date(done.finished_at).getTime()).toBeGreaterThanOrEqual(new Date(done.started_at).getTime());
  });

  it('lists runs filtered by experiment, status and kind, a page at a time', async () => {
    for (const e of ['p001', 'p002', 'p003']) {
      behave(rt, e, { seconds: 0 });
      await until((await run(e)).body.id, ['COMPLETED']);
    }
    const page1 = (await call(rt.url, 'GET', '/api/v1/runs?kind=run&status=COMPLETED&limit=2')).body;
    expect(page1.runs).toHaveLength(2);
    expect(page1.runs.map((r: { expid: string }) => r.expid)).toEqual(['p003', 'p002']);
    const page2 = (await call(rt.url, 'GET', `/api/v1/runs?kind=run&status=COMPLETED&limit=2&before=${page1.next_before}`)).body;
    expect(page2.runs[0].expid).toBe('p001');
    expect((await call(rt.url, 'GET', '/api/v1/runs?expid=p002')).body.runs).toHaveLength(1);
    expect((await call(rt.url, 'GET', '/api/v1/runs?status=DONE')).status).toBe(400);
    expect((await call(rt.url, 'GET', '/api/v1/runs/999999')).status).toBe(404);
    expect((await call(rt.url, 'GET', '/api/v1/runs/abc')).status).toBe(400);
  });

  it('keeps a run going through a graceful worker restart; the new worker re-attaches to it and its output', async () => {
    behave(rt, 'r001', { seconds: 5 });
    const { id } = (await run('r001')).body;
    const active = await until(id, ['ACTIVE']);
    await eventually(async () => (await logs(id)).includes('Running experiment r001'), 5000, 'first output');
    expect(await worker.stop('SIGTERM')).toBe('SIGTERM');
    expect(processAlive(active.pid)).toBe(true);
    expect((await get(id)).status).toBe('ACTIVE');
    worker = await rt.startWorker();
    const done = await until(id, ['COMPLETED'], 20_000);
    expect(done).toMatchObject({ exit_code: 0, pid: active.pid });
    const text = await logs(id);
    expect(text.match(/Running experiment r001/g)).toHaveLength(1); // nothing repeated
    expect(text).toContain('Run successful'); // nothing lost
  });

  it('re-attaches after a worker crash (SIGKILL) once its heartbeat is stale', async () => {
    behave(rt, 'r002', { seconds: 4 });
    const { id } = (await run('r002')).body;
    const active = await until(id, ['ACTIVE']);
    await worker.stop('SIGKILL');
    worker = await rt.startWorker();
    const done = await until(id, ['COMPLETED'], 20_000);
    expect(done).toMatchObject({ exit_code: 0, pid: active.pid });
    expect(await logs(id)).toContain('Run successful');
  });

  it('follows a run through a crash of the spawn helper that started it, and starts new runs with a new helper', async () => {
    behave(rt, 'r004', { seconds: 3 });
    const { id } = (await run('r004')).body;
    const active = await until(id, ['ACTIVE']);
    // The helper is the worker's child process running spawn-helper.js.
    const helpers = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          return ppid === worker.child.pid && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('spawn-helper.js');
        } catch {
          return false;
        }
      });
    expect(helpers).toHaveLength(1);
    process.kill(Number(helpers[0]), 'SIGKILL');
    expect(processAlive(active.pid)).toBe(true);
    const done = await until(id, ['COMPLETED'], 20_000);
    expect(done.exit_code).toBe(0);
    behave(rt, 'r005', { seconds: 0 });
    await until((await run('r005')).body.id, ['COMPLETED']);
  });

  it('marks a run LOST when its process vanished while no worker watched it', async () => {
    behave(rt, 'r003', { seconds: 60 });
    const { id } = (await run('r003')).body;
    const active = await until(id, ['ACTIVE']);
    await worker.stop('SIGKILL');
    process.kill(-active.pid, 'SIGKILL');
    worker = await rt.startWorker();
    const lost = await until(id, ['LOST'], 20_000);
    expect(lost.detail).toMatch(/vanished/);
    expect(lost.exit_code).toBeNull();
  });

  it('marks a run LOST when its process and its directory vanished while no worker watched it', async () => {
    behave(rt, 'r006', { seconds: 60 });
    const { id } = (await run('r006')).body;
    const active = await until(id, ['ACTIVE']);
    await worker.stop('SIGKILL');
    process.kill(-active.pid, 'SIGKILL');
    rmSync(active.run_dir, { recursive: true, force: true });
    worker = await rt.startWorker();
    const lost = await until(id, ['LOST'], 20_000);
    expect(lost.detail).toMatch(/vanished/);
  });

  it('marks LOST a run whose worker on another host stopped answering', async () => {
    const db = new Client({ connectionString: rt.databaseUrl });
    await db.connect();
    const { rows } = await db.query(
      `INSERT INTO runs (kind, expid, runner, module_loader, argv, settings, status, requested_by, host, worker_id, pid, heartbeat_at)
       VALUES ('run', 'h001', 'LOCAL', 'NO_MODULE', '["autosubmit","run","h001"]', '{"runner":"LOCAL","loader":"NO_MODULE","modules":[],"args":["run","h001"]}',
               'ACTIVE', 'test', 'elsewhere', 'elsewhere:1:dead', 4242, now() - interval '1 hour') RETURNING id`,
    );
    await db.end();
    const lost = await until(rows[0].id, ['LOST'], 10_000);
    expect(lost.detail).toContain('elsewhere');
  });

  it('stops a run from another API instance than the one that started it', async () => {
    const otherApi = await rt.startApi();
    behave(rt, 'r004', { seconds: 60 });
    const { id } = (await run('r004')).body;
    const active = await until(id, ['ACTIVE']);
    const stop = await call(otherApi, 'POST', `/api/v1/runs/${id}/stop`, {});
    expect(stop.status).toBe(200);
    expect(stop.body.status).toBe('TERMINATED');
    expect(processAlive(active.pid)).toBe(false);
  });

  it('withdraws a queued run that no worker has taken yet', async () => {
    await worker.stop('SIGTERM');
    const { id } = (await run('q001')).body;
    const stop = await call(rt.url, 'POST', `/api/v1/runs/${id}/stop`, {});
    expect(stop.body).toMatchObject({ status: 'TERMINATED', pid: null });
    worker = await rt.startWorker();
    await new Promise((r) => setTimeout(r, 1000));
    expect((await get(id)).status).toBe('TERMINATED');
  });

  it('stores output up to the cap and counts the rest as truncated', async () => {
    behave(rt, 'o001', { bytes: 200_000 });
    const { id } = (await run('o001')).body;
    const done = await until(id, ['COMPLETED']);
    expect(done.log_bytes).toBe(65536);
    expect(done.log_truncated_bytes).toBeGreaterThan(200_000 - 65536);
    expect(Buffer.byteLength(await logs(id))).toBe(65536);
  });
});
