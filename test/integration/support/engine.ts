import { DataSource } from 'typeorm';
import { Environment, validateEnvironment } from '@runyard/config';
import { migrate } from '../../../libs/persistence/src/database.module';
import { dataSourceOptions } from '../../../libs/persistence/src/data-source-options';
import type { Run, RunSettings } from '@runyard/persistence';
import { RunnerDefinition, RunnerRegistry, RunnerTypes } from '@runyard/runners';
import { RunsRepository } from '../../../libs/runs/src/runs.repository';
import { RunExecutor } from '../../../libs/engine/src/run-executor';
import { Reconciler } from '../../../libs/engine/src/reconciler';
import type { RunQueues } from '@runyard/queue';
import { createDatabase } from '../../support/services';

export const TEST_ENV = {
  HEARTBEAT_MS: '200',
  LOST_AFTER_MS: '1000',
  STOP_GRACE_MS: '300',
  RUN_LOG_CAP_BYTES: '1048576',
  REQUEUE_AFTER_MS: '1000',
};

/** A private database with Runyard's schema, reached directly or through `via` (a TCP proxy's URL rewriter). */
export async function engineDatabase(via?: (url: string) => string) {
  const db = await createDatabase();
  const direct = new DataSource(dataSourceOptions(db.url));
  await direct.initialize();
  await migrate(direct);
  const app = via ? new DataSource(dataSourceOptions(via(db.url), { connectTimeoutMs: 1000 })) : direct;
  if (via) await app.initialize();
  return {
    url: db.url,
    direct,
    app,
    repo: new RunsRepository(app),
    close: async () => {
      if (app !== direct) await app.destroy().catch(() => undefined);
      await direct.destroy();
      await db.drop();
    },
  };
}

/** One worker's engine: its executor and reconciler over the given runner types (queues stand in: the specs here are about rows). */
export function engineWorker(repo: RunsRepository, definitions: RunnerDefinition[], env: Record<string, string> = {}) {
  const environment: Environment = validateEnvironment({ ...TEST_ENV, ...env });
  const runners = new RunnerRegistry(new RunnerTypes(definitions), { dataDir: '/nonexistent', get: () => undefined as never });
  const enqueued: { id: number; attempt: number; delayMs: number }[] = [];
  const queues = {
    hasLiveJob: async () => true,
    enqueue: async (run: Run, delayMs = 0) => void enqueued.push({ id: run.id, attempt: run.attempts, delayMs }),
    withdraw: async () => undefined,
  } as unknown as RunQueues;
  const executor = new RunExecutor(repo, runners, queues, environment);
  const reconciler = new Reconciler(repo, executor, queues, runners, environment);
  return { executor, reconciler, enqueued };
}

/** A queued run of the given runner type, as the API records it. */
export function queueRun(repo: RunsRepository, runner: string, settings: Partial<RunSettings> = {}): Promise<Run> {
  return repo.insert({
    kind: 'run',
    expid: null,
    profileName: 'test',
    runner,
    moduleLoader: 'NO_MODULE',
    modules: [],
    argv: ['true'],
    settings: { runner, loader: 'NO_MODULE', modules: [], args: [], program: 'true', ...settings },
    requestedBy: 'integration-spec',
  });
}
