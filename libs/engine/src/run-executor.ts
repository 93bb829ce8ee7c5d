import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { OutputMasker } from '@runyard/auth';
import { stopCommand } from '@runyard/autosubmit';
import { Environment } from '@runyard/config';
import { getLoader } from '@runyard/loaders';
import { HELD_STATUSES, isFinal, Run, RunStatus } from '@runyard/persistence';
import { ConnectionProblems, RunQueues } from '@runyard/queue';
import type { RetryCause } from '@runyard/config';
import { ExitInfo, Runner, LaunchFailedError, RunnerBusyError, RunnerRegistry, RunningProcess } from '@runyard/runners';
import { loaderSettings, runLifecycle, RunsRepository, StopRequest, tailOf } from '@runyard/runs';
import { atTime, limitDetail, retryDelay, timeoutDetail } from './attempt-policy';
import { Outcome, outcomeOf, StopState } from './outcome';
import { OutputShipper } from './output-shipper';
import { ResultSources, runResult } from './run-result';
import { untilDone } from './retry';
import { StopEscalation } from './stop-escalation';

const SUMMARY_BYTES = 4000;
const SUMMARY_LINES = 40;

const summaryText = (run: Run, end: { status: RunStatus; detail: string | null; exitCode: number | null }, tail: Buffer) =>
  `run ${run.id} (${run.kind} ${run.expid ?? ''}) ${end.status}, exit code ${end.exitCode ?? '-'}: ${end.detail ?? ''}\n${run.argv.join(' ')}\n${tail.toString('utf8')}`;

/** Held and not asked to stop. */
const UNSTOPPED: RunStatus[] = ['STARTING', 'ACTIVE'];

/** The run could not start yet and is QUEUED again: its job comes back after `retryAfterMs`. */
export interface Deferred {
  deferred: true;
  retryAfterMs: number;
}

/** The attempt failed and the run is QUEUED for another one, whose job is already enqueued (delayed). */
export interface Retried {
  retried: true;
  detail: string;
}

/** What a job of a run comes to. */
export type Execution = Outcome | Deferred | Retried | null;

/** How a start ended: the run held by this worker until its process ends, or what the job comes to at once. */
type Started = Execution | { holding: Promise<Outcome | Retried | null> };

/** A run this worker follows until its process ends and its outcome is stored. */
interface HeldRun {
  run: Run;
  runner: Runner;
  shipper: OutputShipper;
  stop: StopEscalation;
  /** Its outcome is being written: it is not heartbeated as healthy meanwhile. */
  finishing: boolean;
  /** Cancels its TIMEOUT (the worker lets go of it, or it ended). */
  cancelDeadline(): void;
  finished: Promise<Outcome | Retried | null>;
}

/**
 * The run lifecycle on a worker: claim the queued row, launch through its runner, hold it (output,
 * stop requests) and finish it. Postgres is the shared truth; every write whose truth is already safe
 * elsewhere (exit status on disk, output in files) is retried until it lands.
 */
@Injectable()
export class RunExecutor {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly host = hostname();
  private readonly log = new Logger('RunExecutor');
  private readonly problems = new ConnectionProblems(this.log);
  private readonly held = new Map<number, HeldRun>();
  /**
   * Claimed runs whose launch is under way (an agent has until AGENT_ACCEPT_TIMEOUT_MS to take one, an SSH
   * host may be slow): heartbeated like held ones, or a launch longer than LOST_AFTER_MS looks abandoned
   * and another reconciler (or this one) adopts the run while it is being started.
   */
  private readonly launching = new Set<number>();
  /**
   * Starts under way, from the claim until the run is held and its row says where it runs. A graceful
   * shutdown lets them end first: cut short, the launch fails with the spawn helper the shutdown closes,
   * or a run whose pid was never stored looks vanished to the next worker, which marks it LOST.
   */
  private readonly starts = new Set<Promise<Started>>();
  /** Dashboard summaries of runs just finished, taken once by their job. */
  private readonly summaries = new Map<number, string>();
  /** Set on graceful shutdown: what happens to the processes after that is the next worker's to see. */
  private released = false;

  constructor(
    private readonly repo: RunsRepository,
    private readonly runners: RunnerRegistry,
    private readonly queues: RunQueues,
    private readonly env: Environment,
  ) {}

  /** The ids of the runs this worker holds. */
  holding(): number[] {
    return [...this.held.keys(), ...this.launching];
  }

  /** The BullMQ job: claim, launch, hold until the process ends; answers the run's outcome (null when the job had nothing to do). */
  async execute(runId: number): Promise<Execution> {
    const start = this.start(runId);
    this.starts.add(start);
    const started = await start.finally(() => this.starts.delete(start));
    return started && 'holding' in started ? started.holding : started;
  }

  private async start(runId: number): Promise<Started> {
    const run = await this.repo.claim(runId, this.workerId, this.host);
    if (!run) return null; // withdrawn, already taken (a redelivered job) or finished
    // MAX_CONCURRENT_RUNS: counted across all workers under a lock; over it, the run waits QUEUED saying why.
    if (run.settings.limits?.length && (await this.repo.exceededLimit(run.id, run.settings.limits, limitDetail))) {
      return { deferred: true, retryAfterMs: 1000 + Math.floor(Math.random() * 2000) };
    }
    let runner: Runner;
    let process: RunningProcess;
    this.launching.add(run.id);
    try {
      runner = this.runners.get(run.settings.runner);
      // Prepared again where it executes: a venv is checked on this host, just before use.
      run.argv = await getLoader(run.settings.loader).prepare(run.settings.args, run.settings.modules, this.loaderSettingsOf(run));
      process = await runner.launch(run, this.secretsOf(run));
    } catch (e) {
      this.launching.delete(run.id);
      if (e instanceof RunnerBusyError) return this.defer(run, e);
      const detail = `launch failed: ${(e as Error).message}`;
      // Nothing executed (an unreachable host, a directory that could not be made): by default tried again, backing off.
      if (e instanceof LaunchFailedError) return (await this.retry(run, 'launch_failed', ['STARTING'], detail)) ?? this.fail(run, detail);
      return this.fail(run, detail);
    }
    const startedAt = new Date();
    const deadlineAt = run.settings.timeoutMs === undefined ? null : new Date(startedAt.getTime() + run.settings.timeoutMs);
    Object.assign(run, { pid: process.pid, host: process.host, runDir: process.runDir, startedAt, deadlineAt });
    const held = this.hold(run, runner, process, 'not-acted', true);
    this.launching.delete(run.id);
    await untilDone(() => this.repo.markStarted(runId, { ...process, argv: run.argv, startedAt }, run.settings.timeoutMs), {
      failed: (e) => this.dbProblem(e),
      giveUp: () => this.released,
    });
    runLifecycle.started(run, process);
    return { holding: held };
  }

  /**
   * Another attempt, when the run's RETRY policy covers the cause and has attempts left: the run is
   * QUEUED again (from `from`) and the job of the next attempt enqueued after the backoff. Null when not.
   */
  private async retry(run: Run, cause: RetryCause, from: readonly RunStatus[], error: string): Promise<Retried | null> {
    const delayMs = retryDelay(run.settings.retry, run.attempts, cause);
    if (delayMs === null) return null;
    const total = 1 + (run.settings.retry?.max ?? 0);
    const detail = `${error}; attempt ${run.attempts + 1} of ${total} in ${Math.round(delayMs / 1000)} s`;
    const queued = await untilDone(() => this.repo.retryLater(run.id, from, error, detail, delayMs), {
      failed: (e) => this.dbProblem(e),
      giveUp: () => this.released,
    });
    if (!queued) return null;
    runLifecycle.retried(run, detail);
    // If Redis is away now, the reconciler enqueues it once its wait is over.
    await this.queues.enqueue(queued, delayMs).catch((e: Error) => this.problems.report('queue', e));
    return { retried: true, detail };
  }

  /** Back to QUEUED to wait for its runner, unless it has waited longer than its profile allows, or a stop came first. */
  private async defer(run: Run, busy: RunnerBusyError): Promise<Outcome | Deferred> {
    const waited = Date.now() - new Date(run.createdAt).getTime();
    const limit = run.settings.queueTimeoutMs;
    if (limit !== undefined && waited >= limit)
      return this.fail(run, `queue timeout: not started within ${Math.round(limit / 1000)} s (${busy.message})`);
    const requeued = await untilDone(() => this.repo.requeue(run.id, busy.message), {
      failed: (e) => this.dbProblem(e),
      giveUp: () => this.released,
    });
    if (requeued === false) {
      return this.record(run, { status: 'TERMINATED', detail: 'stopped before it started', exitCode: null });
    }
    return { deferred: true, retryAfterMs: limit === undefined ? busy.retryAfterMs : Math.min(busy.retryAfterMs, limit - waited) };
  }

  private fail(run: Run, detail: string): Promise<Outcome> {
    return this.record(run, { status: 'FAILED', detail, exitCode: null });
  }

  /** The end of a run that never started (or could not), retried through an outage of Postgres. */
  private async record(run: Run, outcome: Outcome): Promise<Outcome> {
    const ended = await untilDone(() => this.repo.finish(run.id, outcome), {
      failed: (e) => this.dbProblem(e),
      giveUp: () => this.released,
    });
    if (ended) runLifecycle.finished({ ...run, startedAt: null }, outcome);
    return outcome;
  }

  /** Follows a run an earlier worker launched (after a restart, a crash, or for a remote runner any worker). */
  async adopt(run: Run): Promise<void> {
    if (this.held.has(run.id)) return;
    const runner = this.runners.get(run.settings.runner);
    const found = await runner.attach(run);
    // Whether the earlier worker carried out a stop already asked for, this one cannot know.
    const stop: StopState = run.status === 'STOPPING' ? 'unknown' : 'not-acted';
    if (found.state === 'running') {
      this.log.log(`re-attached to run ${run.id} (pid ${found.process.pid})`);
      void this.hold(run, runner, found.process, stop);
      return;
    }
    // Gone while nobody watched: ship what it left, then record how it ended.
    const exit = found.state === 'exited' ? found.exit : null;
    const gone = { pid: run.pid ?? 0, host: run.host ?? this.host, runDir: run.runDir ?? '', exited: Promise.resolve(exit) };
    void this.hold(run, runner, gone, stop);
  }

  /** A stop request for a run this worker holds (from NOTIFY, or found by the heartbeat's poll). */
  serveStop(request: StopRequest): void {
    this.held.get(request.id)?.stop.serve(request);
  }

  /** NOTIFY named one of this worker's runs: read its request and act. */
  async onStopNotice(runId: number): Promise<void> {
    if (!this.held.has(runId)) return;
    const request = await this.repo.stopRequestOf(runId, this.workerId);
    if (request) this.serveStop(request);
  }

  /** Keeps the followed runs fresh and serves the stop requests the poll finds; runs being finished are left to go stale. */
  async heartbeat(): Promise<void> {
    const live = [...[...this.held.values()].filter((h) => !h.finishing).map((h) => h.run.id), ...this.launching];
    for (const request of await this.repo.heartbeat(this.workerId, live)) this.serveStop(request);
  }

  /**
   * What the queue dashboard shows in the job's log: the outcome and the tail of the output. From
   * memory for a run this worker just finished (a query per run saved), else from the row.
   */
  async summary(runId: number): Promise<string> {
    const known = this.summaries.get(runId);
    this.summaries.delete(runId);
    if (known) return known;
    const run = await this.repo.byId(runId);
    if (!run) return `run ${runId} is gone`;
    return this.maskerOf(run).maskText(summaryText(run, run, await this.repo.outputTail(runId, SUMMARY_BYTES, SUMMARY_LINES)));
  }

  /** Graceful shutdown: processes keep running; the rows are released so the next worker on this host re-attaches at once. */
  async release(): Promise<void> {
    this.released = true;
    // Runners are closed after this: a start under way ends while they work, and its run is released with the others.
    await Promise.allSettled(this.starts);
    for (const h of this.held.values()) h.cancelDeadline();
    await Promise.allSettled([...this.held.values()].map((h) => h.shipper.finish(false)));
    this.held.clear();
    await this.repo.release(this.workerId).catch((e: Error) => this.log.warn(`releasing runs: ${e.message}`));
  }

  /** `forJob`: a BullMQ job waits for the outcome (and takes its dashboard summary). */
  private hold(run: Run, runner: Runner, process: RunningProcess, stop: StopState, forJob = false): Promise<Outcome | Retried | null> {
    const masker = this.maskerOf(run);
    const shipper = new OutputShipper(
      this.repo,
      run,
      runner.output(run),
      this.env.RUN_LOG_CAP_BYTES,
      (e, where) => (where === 'store' ? this.dbProblem(e) : this.problems.report(`run ${run.id}'s host`, e)),
      masker,
    );
    const over = process.exited.then(() => undefined);
    const escalation = new StopEscalation(
      {
        runId: run.id,
        stopCommand: (force) => this.stopCommandOf(run, force),
        exec: (argv, stdin, timeoutMs) => runner.exec(run, argv, stdin, timeoutMs),
        signal: (signal) => runner.signal(run, signal),
        note: (text) => shipper.note(text),
        over,
        graceMs: this.env.STOP_GRACE_MS,
        failed: (e) => this.problems.report(`run ${run.id}'s host`, e),
      },
      stop,
    );
    // TIMEOUT, from the row: whichever worker holds the run enforces it, also after a restart.
    const deadline = run.deadlineAt ? atTime(new Date(run.deadlineAt), () => void this.timeOut(run, escalation, shipper)) : undefined;
    const held: HeldRun = {
      run,
      runner,
      shipper,
      stop: escalation,
      finishing: false,
      cancelDeadline: () => deadline?.cancel(),
      finished: Promise.resolve(null),
    };
    held.finished = process.exited.then(async (exit) => {
      held.cancelDeadline();
      if (this.released) return null;
      held.finishing = true;
      await escalation.settled(this.env.STOP_GRACE_MS + 1_000);
      await shipper.finish();
      const outcome = await this.finish(run, runner, exit, escalation, masker);
      if (forJob && outcome && 'status' in outcome)
        this.summaries.set(run.id, masker.maskText(summaryText(run, outcome, tailOf(shipper.tail(), SUMMARY_BYTES, SUMMARY_LINES))));
      this.held.delete(run.id);
      return outcome;
    });
    this.held.set(run.id, held);
    shipper.start();
    if (run.status === 'STOPPING') void this.onStopNotice(run.id).catch((e: Error) => this.dbProblem(e));
    return held.finished;
  }

  /** The run's deadline passed: stop it as a stop request would, to end FAILED saying it timed out. */
  private async timeOut(run: Run, escalation: StopEscalation, shipper: OutputShipper): Promise<void> {
    const detail = timeoutDetail(run.settings.timeoutMs ?? 0);
    const request = await untilDone(() => this.repo.timeOut(run.id, detail), {
      failed: (e) => this.dbProblem(e),
      giveUp: () => this.released,
    });
    if (!request) return; // already stopping on request, or ended
    await shipper.note(`${detail}: stopping it`);
    escalation.serve(request);
  }

  /** Records the outcome (or the next attempt), retrying through an outage of Postgres (the exit status is already on disk). */
  private async finish(
    run: Run,
    runner: Runner,
    exit: ExitInfo | null,
    stop: StopEscalation,
    masker: OutputMasker,
  ): Promise<Outcome | Retried | null> {
    const sources = {
      stdout: async () => (await this.repo.outputOf(run.id, 'stdout')).toString('utf8'),
      output: async () => (await this.repo.outputOf(run.id)).toString('utf8'),
      resultFile: async () => (await runner.resultFile?.(run)) ?? null,
    };
    const outcome = await untilDone(
      async (): Promise<Outcome | Retried | null> => {
        const unstopped = stop.state === 'not-acted' ? await this.finishUnstopped(run, exit, sources, masker) : null;
        if (unstopped) return unstopped;
        const row = await this.repo.byId(run.id);
        if (!row) return null;
        // Already final: another worker re-attached and finished it, or an earlier try committed unanswered.
        if (isFinal(row.status)) return { status: row.status, detail: row.detail ?? '', exitCode: row.exitCode };
        const o = outcomeOf(row, exit, stop.state);
        const cause: RetryCause | null = o.status === 'LOST' ? 'lost' : o.status === 'FAILED' ? 'failed' : null;
        const retried = cause ? await this.retry(row, cause, HELD_STATUSES, o.detail) : null;
        if (retried) return retried;
        const result = await runResult(row.kind, o.status, sources, masker);
        const detail = row.attempts > 1 ? `${o.detail} (attempt ${row.attempts})` : o.detail;
        if (await this.repo.finish(run.id, { ...o, detail, result })) runLifecycle.finished(row, { ...o, detail });
        return { ...o, detail };
      },
      { failed: (e) => this.dbProblem(e), giveUp: () => this.released },
    );
    if (this.released) return null;
    this.problems.recovered('database');
    this.problems.recovered(`run ${run.id}'s host`);
    await runner.release(run).catch((e: Error) => this.log.warn(`run ${run.id}: could not clean up after it: ${e.message}`));
    return outcome ?? null;
  }

  /**
   * The common end, in one statement: nobody asked to stop the run and its policy does not try it
   * again, so its outcome follows from its exit alone, recorded if the row is still unstopped. Null
   * when it is not (a stop request landed meanwhile): the caller reads the row.
   */
  private async finishUnstopped(run: Run, exit: ExitInfo | null, sources: ResultSources, masker: OutputMasker): Promise<Outcome | null> {
    const o = outcomeOf({ status: 'ACTIVE', detail: null, stopReason: null }, exit, 'not-acted');
    const cause: RetryCause | null = o.status === 'LOST' ? 'lost' : o.status === 'FAILED' ? 'failed' : null;
    if (cause && retryDelay(run.settings.retry, run.attempts, cause) !== null) return null;
    const result = await runResult(run.kind, o.status, sources, masker);
    const detail = run.attempts > 1 ? `${o.detail} (attempt ${run.attempts})` : o.detail;
    if (!(await this.repo.finish(run.id, { ...o, detail, result }, UNSTOPPED))) return null;
    runLifecycle.finished(run, { ...o, detail });
    return { ...o, detail };
  }

  private async stopCommandOf(run: Run, force: boolean): Promise<{ argv: string[]; stdin?: string } | null> {
    if (run.kind !== 'run' || !run.expid) return null;
    const cmd = stopCommand(run.expid, { force, confirmOnStdin: run.settings.stopConfirmOnStdin === true });
    return {
      argv: await getLoader(run.settings.loader).prepare(cmd.args, run.settings.modules, this.loaderSettingsOf(run)),
      stdin: cmd.stdin,
    };
  }

  /** The values of the run's SECRETS, read from this worker's environment when it starts or re-attaches. */
  private secretsOf(run: Run): Record<string, string> {
    const secrets: Record<string, string> = {};
    for (const name of run.settings.secrets ?? []) {
      const value = process.env[name];
      if (value !== undefined) secrets[name] = value;
    }
    return secrets;
  }

  /** What masks everything the run returns: its secrets' values and any token Runyard issued. */
  private maskerOf(run: Run): OutputMasker {
    return new OutputMasker(Object.values(this.secretsOf(run)));
  }

  private loaderSettingsOf(run: Run) {
    return loaderSettings(run.settings, this.runners.types);
  }

  private dbProblem(e: Error): void {
    this.problems.report('database', e);
  }
}
