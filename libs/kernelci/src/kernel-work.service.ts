import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, IsNull, Not, Repository } from 'typeorm';
import { Environment } from '@runyard/config';
import { KernelBuild, KernelTest, KernelTestResult } from '@runyard/persistence';
import {
  downloadText,
  KcidbClient,
  kcidbBuildRow,
  kcidbTestRows,
  parseTestResults,
  TuxBuildStatus,
  TuxTestStatus,
} from '@runyard/tuxsuite';
import { SubmissionRefusedError } from './kernel-runner';
import { KernelRunnerRegistry } from './kernel-runner-registry';

export const KCIDB_CLIENT = Symbol('KCIDB_CLIENT');
const LOG_TEXT_MAX = 1024 * 1024;

/** The worker's side of kernel CI: submit to the runner service, fetch results after the callback, report to KCIDB. */
@Injectable()
export class KernelWorkService {
  private readonly log = new Logger('KernelCI');
  private readonly builds: Repository<KernelBuild>;
  private readonly tests: Repository<KernelTest>;
  private readonly results: Repository<KernelTestResult>;

  constructor(
    db: DataSource,
    private readonly runners: KernelRunnerRegistry,
    private readonly env: Environment,
    @Inject(KCIDB_CLIENT) private readonly kcidb: KcidbClient | null,
  ) {
    this.builds = db.getRepository(KernelBuild);
    this.tests = db.getRepository(KernelTest);
    this.results = db.getRepository(KernelTestResult);
  }

  async submitBuild(id: number, lastAttempt: boolean): Promise<void> {
    const build = await this.builds.findOneBy({ id, state: 'SCHEDULED' });
    if (!build) return;
    await this.submitting(this.builds, id, lastAttempt, () =>
      this.runners.buildRunner(build.runner).submitBuild(build, this.callbackUrl('build')),
    );
  }

  async submitTest(id: number, lastAttempt: boolean): Promise<void> {
    const test = await this.tests.findOneBy({ id, state: 'SCHEDULED' });
    if (!test) return;
    await this.submitting(this.tests, id, lastAttempt, () =>
      this.runners.testRunner(test.runner).submitTest(test, this.callbackUrl(test.kind)),
    );
  }

  /** After a test's callback: results.json (and logs.txt) from its download URL, one row per test, then KCIDB. */
  async storeResults(id: number): Promise<void> {
    const test = await this.tests.findOneBy({ id });
    if (!test || test.resultsStored || !test.callback) return;
    const status = (test.callback as { status: TuxTestStatus }).status;
    const base = status.download_url;
    if (!base) {
      await this.tests.update(id, { error: 'the callback has no download_url: no results to fetch' });
      return;
    }
    const limits = { timeoutMs: this.env.DOWNLOAD_TIMEOUT_MS, maxBytes: this.env.DOWNLOAD_MAX_BYTES };
    const results = parseTestResults(JSON.parse(await downloadText(`${base}results.json`, limits)), test.tests);
    const logText = await downloadText(`${base}logs.txt`, limits).catch((e: Error) => `[runyard] logs.txt not fetched: ${e.message}`);
    await this.results
      .createQueryBuilder()
      .insert()
      .values(results.map((r) => ({ testId: id, ...r })))
      .orIgnore()
      .execute();
    await this.tests.update(id, { resultsStored: true, logText: logText.slice(0, LOG_TEXT_MAX) });
    await this.syncKcidb();
  }

  /** Everything KCIDB has not accepted yet; a failure is recorded on the row and tried again later. */
  async syncKcidb(): Promise<void> {
    if (!this.kcidb) return;
    const origin = this.env.KCIDB_ORIGIN;
    const builds = await this.builds.find({ where: { state: 'FINISHED', kcidbSubmitted: false, callback: Not(IsNull()) }, take: 200 });
    for (const build of builds) {
      const status = (build.callback as { status: TuxBuildStatus }).status;
      await this.reporting(this.builds, build.id, kcidbBuildRow(status, origin));
    }
    const tests = await this.tests.find({ where: { resultsStored: true, kcidbSubmitted: false }, take: 200 });
    for (const test of tests) {
      const status = (test.callback as { status: TuxTestStatus }).status;
      const results = await this.results.find({ where: { testId: test.id } });
      await this.reporting(this.tests, test.id, kcidbTestRows(status, results, origin, test.buildId));
    }
  }

  private callbackUrl(kind: 'build' | 'test' | 'boot'): string | undefined {
    return this.env.RUNYARD_PUBLIC_URL ? `${this.env.RUNYARD_PUBLIC_URL.replace(/\/+$/, '')}/api/v1/tuxsuite/callback/${kind}` : undefined;
  }

  /** A refusal (4xx, not configured) ends the row at once; anything else is retried by BullMQ until the last attempt. */
  private async submitting(
    repo: Repository<KernelBuild> | Repository<KernelTest>,
    id: number,
    lastAttempt: boolean,
    submit: () => Promise<string>,
  ) {
    try {
      const uid = await submit();
      await (repo as Repository<KernelBuild>).update(
        { id, state: 'SCHEDULED' },
        { state: 'SUBMITTED', uid, submittedAt: new Date(), error: null },
      );
    } catch (e) {
      if (e instanceof SubmissionRefusedError || lastAttempt) {
        await (repo as Repository<KernelBuild>).update(
          { id, state: 'SCHEDULED' },
          { state: 'SUBMISSION_FAILED', error: (e as Error).message },
        );
        return;
      }
      await (repo as Repository<KernelBuild>).update(id, { error: `will retry: ${(e as Error).message}` });
      throw e;
    }
  }

  private async reporting(
    repo: Repository<KernelBuild> | Repository<KernelTest>,
    id: number,
    payload: Parameters<KcidbClient['submit']>[0],
  ) {
    try {
      await this.kcidb!.submit(payload);
      await (repo as Repository<KernelBuild>).update(id, { kcidbSubmitted: true, kcidbError: null });
    } catch (e) {
      this.log.warn(`KCIDB: ${(e as Error).message}`);
      await (repo as Repository<KernelBuild>).update(id, { kcidbError: (e as Error).message });
    }
  }
}
