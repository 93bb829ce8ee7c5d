import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../libs/persistence/src/data-source-options';
import { isUniqueViolation, RunsRepository } from '../../libs/runs/src/runs.repository';
import { engineDatabase } from './support/engine';

const submitted = (expid: string) => ({
  kind: 'run' as const,
  expid,
  profileName: 'LOCAL',
  runner: 'LOCAL',
  moduleLoader: 'NO_MODULE',
  modules: [],
  argv: ['autosubmit', 'run', expid],
  settings: { runner: 'LOCAL', loader: 'NO_MODULE', modules: [], args: ['run', expid], queueTimeoutMs: 60_000 },
  requestedBy: 'integration-spec',
});

/** The accept path's statements go straight to the pool, or through TypeORM when RUNYARD_LOG_SQL logs them: the same runs either way. */
describe('runs recorded on the pool and through TypeORM', () => {
  let db: Awaited<ReturnType<typeof engineDatabase>>;
  let logged: DataSource;
  beforeAll(async () => {
    db = await engineDatabase();
    logged = new DataSource({ ...dataSourceOptions(db.url), logging: ['schema'] }); // truthy, as RUNYARD_LOG_SQL: through TypeORM
    await logged.initialize();
  });
  afterAll(async () => {
    await logged?.destroy();
    await db?.close();
  });

  it('answers the document a later read gives, and refuses a second unfinished run of an experiment by its code', async () => {
    for (const [repo, expid] of [
      [db.repo, 'p001'],
      [new RunsRepository(logged), 'p002'],
    ] as const) {
      const run = await repo.insert(submitted(expid));
      expect(run).toEqual(await repo.byId(run.id));
      expect(run).toMatchObject({ status: 'QUEUED', attempts: 1, argv: ['autosubmit', 'run', expid], requestedBy: 'integration-spec' });
      expect(run.createdAt).toBeInstanceOf(Date);
      const second = await repo.insert(submitted(expid)).catch((e: unknown) => e);
      expect(isUniqueViolation(second)).toBe(true);
      expect(await repo.claim(run.id, 'w1', 'h')).toMatchObject({ id: run.id, status: 'STARTING', workerId: 'w1' });
    }
  });
});
