import { eventually } from '../support/http';
import { engineDatabase, engineWorker, queueRun } from './support/engine';
import { fakeDefinition, FakeHost } from './support/fake-runner';

/** A run's wall-clock limit (a script's `timeout`), against a real Postgres. */
describe('a run with a time limit', () => {
  let db: Awaited<ReturnType<typeof engineDatabase>>;
  beforeAll(async () => {
    db = await engineDatabase();
  });
  afterAll(() => db?.close());

  it('is stopped once its time is up, with the reason in its detail; one that ends in time is not', async () => {
    const host = new FakeHost();
    const { executor } = engineWorker(db.repo, [fakeDefinition('FAKE', host, true)]);
    const beat = setInterval(() => void executor.heartbeat().catch(() => undefined), 100);
    try {
      const slow = await queueRun(db.repo, 'FAKE', { timeoutMs: 1000 });
      const quick = await queueRun(db.repo, 'FAKE', { timeoutMs: 60_000 });
      const slowDone = executor.execute(slow.id);
      const quickDone = executor.execute(quick.id);
      await eventually(async () => host.processes.has(quick.id), 5000, 'launch');
      host.exit(quick.id, 0);
      expect(await quickDone).toMatchObject({ status: 'COMPLETED' });
      expect(await slowDone).toMatchObject({ status: 'TERMINATED', detail: expect.stringContaining('timed out after 1 s') });
      expect(host.signals).toEqual([{ runId: slow.id, signal: 'SIGTERM' }]);
    } finally {
      clearInterval(beat);
    }
  });
});
