import { Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { KernelBuild, KernelJobState, KernelTest, KernelTestResult } from '@runyard/persistence';
import { NotFoundError, UnavailableError } from '@runyard/runs';
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
  kernelImageUrl: string;
  modulesUrl: string | null;
  tests: string[];
  collection: string | null;
  device: string;
}

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
