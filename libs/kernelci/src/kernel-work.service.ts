import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, IsNull, Not, Repository } from 'typeorm';
import { Environment } from '@runyard/config';
import { KernelBuild, KernelTest, KernelTestResult } from '@runyard/persistence';
import {
  DownloadError,
  downloadText,
  KcidbClient,
  kcidbBuildRow,
  kcidbTestRows,
  parseTestResults,
  TestResult,
  TuxBuildStatus,
  TuxTestStatus,
} from '@runyard/tuxsuite';
import { SubmissionRefusedError } from './kernel-runner';
import { KernelRunnerRegistry } from './kernel-runner-registry';

export const KCIDB_CLIENT = Symbol('KCIDB_CLIENT');
const LOG_TEXT_MAX = 1024 * 1024;
/** A download that timed out or lost its connection is tried once more before the failure is recorded. */
const RESULTS_RETRY_MS = 1000;

/** Why results.json gave no results: recorded on the test, which then reports MISS for every requested test. */
class ResultsUnavailable extends Error {}

/** The worker's side of kernel CI: submit to the runner service, fetch results after the callback, report to KCIDB. */
@Injectable()
export class KernelWorkService {
  private readonly log = new Logger('KernelCI');
  private syncs: Promise<void> = Promise.resolve();
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

  /**
   * After a test's callback: results.json (and logs.txt) from its download URL, one row per test,
   * then KCIDB. When the results cannot be had (no download URL, a download that fails, a file that
   * is too large, not JSON, or not TuxSuite's format), the test keeps the reason in `error`, every
   * requested test is MISS, and that goes to KCIDB too: no test is left without an outcome.
   */
  async storeResults(id: number): Promise<void> {
    const test = await this.tests.findOneBy({ id });
    if (!test || test.resultsStored || !test.callback) return;
    const base = (test.callback as { status: TuxTestStatus }).status.download_url;
    const limits = { timeoutMs: this.env.DOWNLOAD_TIMEOUT_MS, maxBytes: this.env.DOWNLOAD_MAX_BYTES };
    let results: TestResult[];
    let error: string | null = null;
    let logText: string | null = null;
    try {
      if (!base) throw new ResultsUnavailable('the callback has no download_url: no results to fetch');
      results = this.parsed(await this.resultsJson(`${base}results.json`, limits), test.tests);
      logText = await downloadText(`${base}logs.txt`, limits).catch((e: Error) => `[runyard] logs.txt not fetched: ${e.message}`);
    } catch (e) {
      if (!(e instanceof ResultsUnavailable || e instanceof DownloadError)) throw e;
      error = `results not stored: ${e.message}`;
      results = parseTestResults({ lava: {} }, test.tests);
      this.log.warn(`test ${id}: ${error}`);
    }
    await this.results
      .createQueryBuilder()
      .insert()
      .values(results.map((r) => ({ testId: id, ...r })))
      .orIgnore()
      .execute();
    await this.tests.update(id, { resultsStored: true, error, logText: logText?.slice(0, LOG_TEXT_MAX) ?? null });
    await this.syncKcidb();
  }

  private parsed(json: unknown, tests: string[]): TestResult[] {
    try {
      return parseTestResults(json, tests);
    } catch (e) {
      throw new ResultsUnavailable((e as Error).message);
    }
  }

  /** results.json parsed; a download cut by a timeout or a dropped connection is tried once more. */
  private async resultsJson(url: string, limits: { timeoutMs: number; maxBytes: number }): Promise<unknown> {
    let text: string;
    try {
      text = await downloadText(url, limits);
    } catch (e) {
      if (!(e instanceof DownloadError) || (e.reason !== 'timeout' && e.reason !== 'network')) throw e;
      await new Promise((r) => setTimeout(r, RESULTS_RETRY_MS));
      text = await downloadText(url, limits);
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ResultsUnavailable(`results.json is not JSON (${(e as Error).message})`);
    }
  }

  /**
   * Everything KCIDB has not accepted yet; a failure is recorded on the row and tried again later. One
   * at a time in this process: the sync a result triggers and the periodic one would otherwise both
   * find the same row unsubmitted and send it twice.
   */
  syncKcidb(): Promise<void> {
    const next = this.syncs.then(() => this.syncOnce());
    this.syncs = next.catch(() => undefined);
    return next;
  }

  private async syncOnce(): Promise<void> {
    if (!this.kcidb) return;
    const origin = this.env.KCIDB_ORIGIN;
    const builds = await this.builds.find({ where: { state: 'FINISHED', kcidbSubmitted: false, callback: Not(IsNull()) }, take: 200 });
    for (const build of builds) {
      const status = (build.callback as { status: TuxBuildStatus }).status;
      await this.reporting(this.builds, build.id, kcidbBuildRow(status, origin));
    }
    const tests = await this.tests.find({ where: { resultsStored: true, kcidbSubmitted: false }, take: 200 });
    for (const test of tests) {
      // Results submitted by another runtime have no callback: the row says what KCIDB needs.
      const status = (test.callback as { status: TuxTestStatus } | null)?.status ?? {
        uid: test.uid ?? String(test.id),
        state: 'finished',
        device: test.device,
      };
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
