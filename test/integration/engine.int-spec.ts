import { RunnerBusyError, RunnerUnreachableError } from '@runyard/runners';
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
    expect((await row(run.id)).detail).toBe('queue timeout: not started within 60 s (waiting for an agent with tags gpu)');
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

/** Run policies in the engine: retries, timeouts, concurrency limits, masked secrets. */
describe('run policies', () => {
  let db: Awaited<ReturnType<typeof engineDatabase>>;
  beforeAll(async () => {
    db = await engineDatabase();
  });
  afterAll(() => db?.close());
  const row = async (id: number) => (await db.repo.byId(id))!;

  it('tries a launch that could not reach its host again, backing off, and fails it once the retries are spent', async () => {
    const host = new FakeHost();
    host.refuseLaunch = () => new RunnerUnreachableError('hpc1: connect ECONNREFUSED');
    const { executor, enqueued } = engineWorker(db.repo, [fakeDefinition('FAKE', host, false)]);
    const run = await queueRun(db.repo, 'FAKE', { retry: { max: 2, backoff: 'exponential', delayMs: 1000, on: ['launch_failed'] } });
    expect(await executor.execute(run.id)).toMatchObject({ retried: true });
    expect(await row(run.id)).toMatchObject({
      status: 'QUEUED',
      attempts: 2,
      lastError: 'launch failed: hpc1: connect ECONNREFUSED',
      detail: 'launch failed: hpc1: connect ECONNREFUSED; attempt 2 of 3 in 1 s',
    });
    expect(await executor.execute(run.id)).toMatchObject({ retried: true });
    expect(enqueued).toEqual([
      { id: run.id, attempt: 2, delayMs: 1000 },
      { id: run.id, attempt: 3, delayMs: 2000 },
    ]);
    expect(await executor.execute(run.id)).toMatchObject({ status: 'FAILED' });
    expect(await row(run.id)).toMatchObject({ status: 'FAILED', attempts: 3 });
  });

  it('cancels a pending retry when the run is stopped: the next attempt never starts', async () => {
    const host = new FakeHost();
    host.refuseLaunch = () => new RunnerUnreachableError('hpc1: connect ECONNREFUSED');
    const { executor } = engineWorker(db.repo, [fakeDefinition('FAKE', host, false)]);
    const run = await queueRun(db.repo, 'FAKE');
    expect(await executor.execute(run.id)).toMatchObject({ retried: true });
    expect(await db.repo.withdraw(run.id, 'stopped by alice before it started')).toBe(true);
    host.refuseLaunch = undefined;
    expect(await executor.execute(run.id)).toBeNull();
    expect(host.processes.has(run.id)).toBe(false);
    expect(await row(run.id)).toMatchObject({ status: 'TERMINATED', attempts: 2 });
  });

  it('never retries a run that executed and failed unless the profile says so', async () => {
    const host = new FakeHost();
    const { executor } = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    const plain = await queueRun(db.repo, 'FAKE');
    const done = executor.execute(plain.id);
    await eventually(async () => host.processes.has(plain.id), 5000, 'launch');
    host.exit(plain.id, 3);
    expect(await done).toMatchObject({ status: 'FAILED' });

    const retried = await queueRun(db.repo, 'FAKE', { retry: { max: 1, backoff: 'fixed', delayMs: 0, on: ['failed'] } });
    const first = executor.execute(retried.id);
    await eventually(async () => host.processes.has(retried.id), 5000, 'launch');
    host.print(retried.id, 'attempt one\n');
    host.exit(retried.id, 3);
    expect(await first).toMatchObject({ retried: true });
    expect(await row(retried.id)).toMatchObject({ status: 'QUEUED', attempts: 2, lastError: 'exit code 3' });
    host.processes.delete(retried.id);
    const second = executor.execute(retried.id);
    await eventually(async () => host.processes.has(retried.id), 5000, 'second launch');
    host.print(retried.id, 'attempt two\n');
    host.exit(retried.id, 0);
    expect(await second).toMatchObject({ status: 'COMPLETED', detail: 'exit code 0 (attempt 2)' });
    expect((await db.repo.outputOf(retried.id)).toString()).toBe('attempt one\nattempt two\n');
  });

  it('stops a run at its deadline and ends it FAILED saying it timed out', async () => {
    const host = new FakeHost();
    const { executor } = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    const run = await queueRun(db.repo, 'FAKE', { timeoutMs: 1000 });
    const done = executor.execute(run.id);
    await eventually(async () => host.processes.has(run.id), 5000, 'launch');
    expect((await row(run.id)).deadlineAt).not.toBeNull();
    expect(await done).toMatchObject({ status: 'FAILED', detail: 'timed out after 1 s; killed by SIGTERM' });
    expect(host.signals).toEqual([{ runId: run.id, signal: 'SIGTERM' }]);
    expect((await row(run.id)).stopReason).toBe('timeout');
  });

  it('enforces the deadline in the row after a re-attach', async () => {
    const host = new FakeHost();
    const first = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    const run = await queueRun(db.repo, 'FAKE', { timeoutMs: 1500 });
    void first.executor.execute(run.id);
    await eventually(async () => (await row(run.id)).status === 'ACTIVE', 5000, 'active');
    await first.executor.release();
    const second = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    await second.reconciler.reconcile();
    const done = await eventually(
      async () => {
        const r = await row(run.id);
        return r.status === 'FAILED' && r;
      },
      10_000,
      'timed out',
    );
    expect(done.detail).toBe('timed out after 2 s; killed by SIGTERM');
  });

  it('keeps a run QUEUED, saying why, while its profile already has MAX_CONCURRENT_RUNS held', async () => {
    const host = new FakeHost();
    const { executor } = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    const limits = [{ key: 'profile:limited', max: 1, what: 'profile limited' }];
    const a = await queueRun(db.repo, 'FAKE', { limits });
    const b = await queueRun(db.repo, 'FAKE', { limits });
    const running = executor.execute(a.id);
    await eventually(async () => host.processes.has(a.id), 5000, 'a launched');
    expect(await executor.execute(b.id)).toMatchObject({ deferred: true });
    expect(await row(b.id)).toMatchObject({
      status: 'QUEUED',
      detail: 'waiting: profile limited has 1 of 1 runs active (MAX_CONCURRENT_RUNS)',
      workerId: null,
    });
    host.exit(a.id, 0);
    await running;
    const next = executor.execute(b.id);
    await eventually(async () => host.processes.has(b.id), 5000, 'b launched once a ended');
    host.exit(b.id, 0);
    expect(await next).toMatchObject({ status: 'COMPLETED' });
  });

  it('fails a run still queued after its QUEUE_TIMEOUT', async () => {
    const host = new FakeHost();
    const { reconciler } = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    const run = await queueRun(db.repo, 'FAKE', { queueTimeoutMs: 1000 });
    await db.direct.query(`UPDATE runs SET detail = 'waiting for a slot' WHERE id = $1`, [run.id]);
    await reconciler.reconcile();
    expect((await row(run.id)).status).toBe('QUEUED');
    await sleep(1100);
    await reconciler.reconcile();
    expect(await row(run.id)).toMatchObject({ status: 'FAILED', detail: 'queue timeout: not started within 1 s (waiting for a slot)' });
  });

  it("masks the run's secrets and issued tokens in its stored output, also when printed across two reads", async () => {
    process.env.POLICY_SPEC_SECRET = 'hunter2-very-secret';
    const host = new FakeHost();
    const { executor } = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    const run = await queueRun(db.repo, 'FAKE', { secrets: ['POLICY_SPEC_SECRET'] });
    const done = executor.execute(run.id);
    await eventually(async () => host.processes.has(run.id), 5000, 'launch');
    host.print(run.id, 'the key is hunter2-ve');
    await sleep(200); // several shipper passes in between
    host.print(run.id, `ry-secret\ntoken ry_abcdefghijkl_${'A'.repeat(43)} end\n`);
    host.exit(run.id, 0);
    await done;
    expect((await db.repo.outputOf(run.id)).toString()).toBe('the key is [MASKED]\ntoken [MASKED] end\n');
    delete process.env.POLICY_SPEC_SECRET;
  });
});
