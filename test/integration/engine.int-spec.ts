import { RunnerBusyError } from '@runyard/runners';
import { eventually } from '../support/http';
import { TcpProxy } from '../support/tcp-proxy';
import { engineDatabase, engineWorker, queueRun } from './support/engine';
import { fakeDefinition, FakeHost } from './support/fake-runner';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The engine against a real Postgres, with runners whose processes the test drives (no spawning). */
describe('the run engine', () => {
  let db: Awaited<ReturnType<typeof engineDatabase>>;
  beforeAll(async () => {
    db = await engineDatabase();
  });
  afterAll(() => db?.close());

  const row = async (id: number) => (await db.repo.byId(id))!;
  const finalOf = (id: number) =>
    eventually(
      async () => {
        const r = await row(id);
        return ['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'].includes(r.status) && r;
      },
      10_000,
      `run ${id} to end`,
    );

  it('stores what a run printed and its outcome', async () => {
    const host = new FakeHost();
    const { executor } = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    const run = await queueRun(db.repo, 'FAKE');
    const done = executor.execute(run.id);
    await eventually(async () => host.processes.has(run.id), 5000, 'launch');
    host.print(run.id, 'hello\n');
    host.print(run.id, 'oops\n', 'stderr');
    host.exit(run.id, 3);
    expect(await done).toMatchObject({ status: 'FAILED', detail: 'exit code 3' });
    const r = await row(run.id);
    expect(r).toMatchObject({ status: 'FAILED', exitCode: 3, logBytes: 11, workerId: null });
    expect((await db.repo.outputOf(run.id)).toString()).toBe('hello\noops\n');
  });

  it('re-attaches to a run its worker let go (a restart), resuming its output without repeating or losing a byte', async () => {
    const host = new FakeHost();
    const first = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    const run = await queueRun(db.repo, 'FAKE');
    void first.executor.execute(run.id);
    await eventually(async () => host.processes.has(run.id), 5000, 'launch');
    host.print(run.id, 'one\n');
    await eventually(async () => (await row(run.id)).logBytes === 4, 5000, 'first line stored');
    await first.executor.release();
    host.print(run.id, 'two\n');
    const second = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    await second.reconciler.reconcile();
    expect(second.executor.holding()).toContain(run.id);
    host.print(run.id, 'three\n');
    host.exit(run.id, 0);
    const done = await finalOf(run.id);
    expect(done).toMatchObject({ status: 'COMPLETED', workerId: null });
    expect((await db.repo.outputOf(run.id)).toString()).toBe(host.printed(run.id));
  });

  it('never adopts a run it already holds, even when its heartbeat looks stale', async () => {
    const host = new FakeHost();
    const { executor, reconciler } = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    const run = await queueRun(db.repo, 'FAKE');
    void executor.execute(run.id);
    await eventually(async () => host.processes.has(run.id), 5000, 'launch');
    await db.direct.query(`UPDATE runs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [run.id]);
    await reconciler.reconcile();
    expect(host.attaches).toBe(0);
    host.print(run.id, 'once\n');
    host.exit(run.id, 0);
    await finalOf(run.id);
    expect((await db.repo.outputOf(run.id)).toString()).toBe('once\n');
  });

  it('marks a host-bound run LOST only when its host has been silent for three times LOST_AFTER_MS', async () => {
    const host = new FakeHost();
    const { reconciler } = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    const recent = await queueRun(db.repo, 'FAKE');
    const old = await queueRun(db.repo, 'FAKE');
    for (const [r, age] of [
      [recent, 2],
      [old, 4],
    ] as const) {
      await db.direct.query(
        `UPDATE runs SET status = 'ACTIVE', host = 'elsewhere', worker_id = 'gone', heartbeat_at = now() - make_interval(secs => $2) WHERE id = $1`,
        [r.id, age],
      );
    }
    await reconciler.reconcile();
    expect((await row(recent.id)).status).toBe('ACTIVE');
    expect(await row(old.id)).toMatchObject({ status: 'LOST', detail: 'the worker holding the run on elsewhere stopped answering' });
  });

  it('lets any worker take over a run of a runner that is not host-bound', async () => {
    const host = new FakeHost();
    const run = await queueRun(db.repo, 'REMOTE');
    await db.direct.query(
      `UPDATE runs SET status = 'ACTIVE', host = 'elsewhere', worker_id = 'gone', pid = 1, heartbeat_at = now() - interval '1 hour' WHERE id = $1`,
      [run.id],
    );
    host.start(run.id);
    const { reconciler, executor } = engineWorker(db.repo, [fakeDefinition('REMOTE', host, false, 'remote-host')]);
    await reconciler.reconcile();
    expect(executor.holding()).toContain(run.id);
    host.exit(run.id, 0);
    expect(await finalOf(run.id)).toMatchObject({ status: 'COMPLETED' });
  });

  it('counts output past the cap as truncated, also across a re-attach', async () => {
    const host = new FakeHost();
    const defs = [fakeDefinition('FAKE', host, true)];
    const first = engineWorker(db.repo, defs, { RUN_LOG_CAP_BYTES: '1024' });
    const run = await queueRun(db.repo, 'FAKE');
    void first.executor.execute(run.id);
    await eventually(async () => host.processes.has(run.id), 5000, 'launch');
    host.print(run.id, 'a'.repeat(800));
    await eventually(async () => (await row(run.id)).logBytes === 800, 5000, 'first 800 bytes');
    await first.executor.release();
    const second = engineWorker(db.repo, defs, { RUN_LOG_CAP_BYTES: '1024' });
    await second.reconciler.reconcile();
    host.print(run.id, 'b'.repeat(800));
    host.exit(run.id, 0);
    const done = await finalOf(run.id);
    expect(done).toMatchObject({ logBytes: 1024, logTruncatedBytes: 576 });
    expect((await db.repo.outputOf(run.id)).toString()).toBe('a'.repeat(800) + 'b'.repeat(224));
  });

  it('puts a run its runner cannot take yet back to QUEUED with the reason, and fails it after its queue timeout', async () => {
    const host = new FakeHost();
    host.refuseLaunch = () => new RunnerBusyError('waiting for an agent with tags gpu', 100);
    const { executor } = engineWorker(db.repo, [fakeDefinition('FAKE', host, false)]);
    const run = await queueRun(db.repo, 'FAKE', { queueTimeoutMs: 60_000 });
    expect(await executor.execute(run.id)).toEqual({ deferred: true, retryAfterMs: 100 });
    expect(await row(run.id)).toMatchObject({ status: 'QUEUED', detail: 'waiting for an agent with tags gpu', workerId: null });
    await db.direct.query(`UPDATE runs SET created_at = now() - interval '2 minutes' WHERE id = $1`, [run.id]);
    expect(await executor.execute(run.id)).toMatchObject({ status: 'FAILED' });
    expect((await row(run.id)).detail).toMatch(/^queue timeout: waiting for an agent with tags gpu for 1[12]\d s$/);
  });

  it('ends TERMINATED a deferred run that was stopped before it could start', async () => {
    const host = new FakeHost();
    const { executor } = engineWorker(db.repo, [fakeDefinition('FAKE', host, false)]);
    const run = await queueRun(db.repo, 'FAKE');
    host.refuseLaunch = async () => {
      // The stop lands while the runner is deciding.
      await db.direct.query(`UPDATE runs SET status = 'STOPPING' WHERE id = $1`, [run.id]);
      return new RunnerBusyError('busy');
    };
    const outcome = await executor.execute(run.id);
    expect(outcome).toMatchObject({ status: 'TERMINATED', detail: 'stopped before it started' });
  });
});

/** The engine with Postgres behind a proxy the test cuts: nothing lost, nothing stuck. */
describe('the run engine through a database outage', () => {
  let proxy: TcpProxy;
  let db: Awaited<ReturnType<typeof engineDatabase>>;
  beforeAll(async () => {
    proxy = await new TcpProxy('127.0.0.1', 5432).start();
    db = await engineDatabase((url) => proxy.through(url));
  });
  afterAll(async () => {
    await db?.close();
    await proxy?.close();
  });

  it('stores every byte printed during the outage and finishes a run that exited during it', async () => {
    const host = new FakeHost();
    const { executor } = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    const run = await queueRun(db.repo, 'FAKE');
    const done = executor.execute(run.id);
    await eventually(async () => host.processes.has(run.id), 5000, 'launch');
    let n = 0;
    const printer = setInterval(() => host.print(run.id, `line ${++n}\n`), 20);
    await sleep(300);
    proxy.cut();
    await sleep(1500);
    clearInterval(printer);
    host.print(run.id, 'last words\n');
    host.exit(run.id, 0);
    await sleep(500);
    expect((await db.direct.query(`SELECT status FROM runs WHERE id = $1`, [run.id]))[0].status).toBe('ACTIVE');
    proxy.restore();
    expect(await done).toMatchObject({ status: 'COMPLETED' });
    const [stored] = await db.direct.query(`SELECT status, log_bytes FROM runs WHERE id = $1`, [run.id]);
    const printed = host.printed(run.id);
    expect(stored).toEqual({ status: 'COMPLETED', log_bytes: String(Buffer.byteLength(printed)) });
    const chunks: { data: Buffer }[] = await db.direct.query(`SELECT data FROM run_output WHERE run_id = $1 ORDER BY id`, [run.id]);
    expect(Buffer.concat(chunks.map((c) => c.data)).toString()).toBe(printed);
    expect(n).toBeGreaterThan(40);
  });
});
