import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { KernelBuild, KernelJobState, KernelTest, KernelTestResult } from '@runyard/persistence';
import { BadInputError, ConflictError, isUniqueViolation, NotFoundError, UnavailableError } from '@runyard/runs';
import { KernelQueue } from './kernel-queue';
import { KernelRunnerRegistry } from './kernel-runner-registry';

export interface ScheduleBuild {
  runner: string;
  toolchain: string;
  arch: string;
  tree: string;
  branch: string;
  kconfig: string | null;
  fragments: string[];
}

export interface ScheduleTest {
  runner: string;
  buildId: string;
  kernelImageUrl: string | null;
  modulesUrl: string | null;
  tests: string[];
  collection: string | null;
  device: string;
}

/** Results of tests run elsewhere, as the bridge's /api/v1/tests/submit takes them. */
export interface SubmittedResults {
  uid: string;
  buildId: string;
  device: string;
  runtime: string;
  tests: { name: string; collection: string | null; result: string; logs: string | null }[];
}

const LOG_URL = /^https?:\/\/\S+$/;

/** Schedules kernel builds and tests: the row first, then the job that submits it to the runner service. */
@Injectable()
export class KernelService {
  readonly builds: Repository<KernelBuild>;
  readonly tests: Repository<KernelTest>;
  readonly results: Repository<KernelTestResult>;

  constructor(
    db: DataSource,
    private readonly queue: KernelQueue,
    private readonly runners: KernelRunnerRegistry,
  ) {
    this.builds = db.getRepository(KernelBuild);
    this.tests = db.getRepository(KernelTest);
    this.results = db.getRepository(KernelTestResult);
  }

  async scheduleBuild(input: ScheduleBuild, requestedBy: string): Promise<KernelBuild> {
    this.runners.buildRunner(input.runner);
    const build = await this.builds.save(this.builds.create({ ...input, state: 'SCHEDULED', requestedBy }));
    await this.enqueue(
      () => this.queue.add({ type: 'submit-build', id: build.id }),
      () => this.builds.update(build.id, this.unqueued()),
    );
    return build;
  }

  async scheduleTest(kind: 'test' | 'boot', input: ScheduleTest, requestedBy: string): Promise<KernelTest> {
    this.runners.testRunner(input.runner);
    const test = await this.tests.save(this.tests.create({ ...input, kind, state: 'SCHEDULED', requestedBy }));
    await this.enqueue(
      () => this.queue.add({ type: 'submit-test', id: test.id }),
      () => this.tests.update(test.id, this.unqueued()),
    );
    return test;
  }

  /**
   * Stores results run elsewhere as a finished test with its results, then has them submitted to
   * KCIDB; what KCIDB does not accept stays for /api/v1/sync/results (and the periodic retry).
   */
  async submitResults(input: SubmittedResults, requestedBy: string): Promise<KernelTest> {
    const names = input.tests.map((t) => t.name);
    const repeated = names.find((n, i) => names.indexOf(n) !== i);
    if (repeated) throw new BadInputError(`tests: ${JSON.stringify(repeated)} is given twice`);
    const collections = [...new Set(input.tests.map((t) => t.collection).filter((c): c is string => !!c))];
    const logText = input.tests
      .filter((t) => t.logs && !LOG_URL.test(t.logs))
      .map((t) => `== ${t.name} ==\n${t.logs}`)
      .join('\n');
    const now = new Date();
    let test: KernelTest;
    try {
      test = await this.tests.manager.transaction(async (m) => {
        const saved = await m.save(
          m.create(KernelTest, {
            kind: 'test',
            runner: input.runtime,
            buildId: input.buildId,
            kernelImageUrl: null,
            modulesUrl: null,
            tests: names,
            collection: collections.join(' ').slice(0, 255) || null,
            device: input.device,
            state: 'FINISHED',
            uid: input.uid,
            resultsStored: true,
            logText: logText || null,
            requestedBy,
            submittedAt: now,
            finishedAt: now,
          }),
        );
        await m.insert(
          KernelTestResult,
          input.tests.map((t) => ({
            testId: saved.id,
            test: t.name,
            result: t.result.toUpperCase(),
            logUrl: t.logs && LOG_URL.test(t.logs) ? t.logs : null,
          })),
        );
        return saved;
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError(`test_uid ${input.uid} was submitted already`);
      throw e;
    }
    // Stored either way: if the queue is down now, the periodic KCIDB retry submits it later.
    await this.queue.add({ type: 'kcidb-sync' }).catch(() => undefined);
    return test;
  }

  async build(id: number): Promise<KernelBuild> {
    const build = await this.builds.findOneBy({ id });
    if (!build) throw new NotFoundError(`build ${id} does not exist`);
    return build;
  }

  async test(id: number): Promise<{ test: KernelTest; results: KernelTestResult[] }> {
    const test = await this.tests.findOneBy({ id });
    if (!test) throw new NotFoundError(`test ${id} does not exist`);
    return { test, results: await this.results.find({ where: { testId: id }, order: { test: 'ASC' } }) };
  }

  listBuilds(limit: number, state?: KernelJobState): Promise<KernelBuild[]> {
    return this.builds.find({ where: state ? { state } : {}, order: { id: 'DESC' }, take: limit });
  }

  listTests(limit: number, state?: KernelJobState): Promise<KernelTest[]> {
    return this.tests.find({ where: state ? { state } : {}, order: { id: 'DESC' }, take: limit });
  }

  /** Submits what KCIDB has not accepted yet, now (the periodic retry does the same later). */
  async syncKcidb(): Promise<void> {
    await this.enqueue(
      () => this.queue.add({ type: 'kcidb-sync' }),
      async () => undefined,
    );
  }

  private unqueued() {
    return { state: 'SUBMISSION_FAILED' as const, error: 'the queue was unavailable' };
  }

  private async enqueue(add: () => Promise<unknown>, undo: () => Promise<unknown>): Promise<void> {
    try {
      await add();
    } catch (e) {
      await undo();
      throw new UnavailableError(`The queue is unavailable: ${(e as Error).message}`);
    }
  }
}
