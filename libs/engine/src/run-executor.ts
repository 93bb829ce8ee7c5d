import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { stopCommand } from '@runyard/autosubmit';
import { Environment } from '@runyard/config';
import { getLoader } from '@runyard/loaders';
import { isFinal, Run } from '@runyard/persistence';
import { ConnectionProblems } from '@runyard/queue';
import { ExitInfo, Runner, RunnerBusyError, RunnerRegistry, RunningProcess } from '@runyard/runners';
import { loaderSettings, RunsRepository, StopRequest } from '@runyard/runs';
import { Outcome, outcomeOf, StopState } from './outcome';
import { OutputShipper } from './output-shipper';
import { runResult } from './run-result';
import { untilDone } from './retry';
import { StopEscalation } from './stop-escalation';

/** The run could not start yet and is QUEUED again: its job comes back after `retryAfterMs`. */
export interface Deferred {
  deferred: true;
  retryAfterMs: number;
}

/** A run this worker follows until its process ends and its outcome is stored. */
interface HeldRun {
  run: Run;
  runner: Runner;
  shipper: OutputShipper;
  stop: StopEscalation;
  /** Its outcome is being written: it is not heartbeated as healthy meanwhile. */
  finishing: boolean;
  finished: Promise<Outcome | null>;
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
  /** Set on graceful shutdown: what happens to the processes after that is the next worker's to see. */
  private released = false;

  constructor(
    private readonly repo: RunsRepository,
    private readonly runners: RunnerRegistry,
    private readonly env: Environment,
  ) {}

  /** The ids of the runs this worker holds. */
  holding(): number[] {
    return [...this.held.keys()];
  }

  /** The BullMQ job: claim, launch, hold until the process ends; answers the run's outcome (null when the job had nothing to do). */
  async execute(runId: number): Promise<Outcome | Deferred | null> {
    const run = await this.repo.claim(runId, this.workerId, this.host);
    if (!run) return null; // withdrawn, already taken (a redelivered job) or finished
    let runner: Runner;
    let process: RunningProcess;
    try {
      runner = this.runners.get(run.settings.runner);
      // Prepared again where it executes: a venv is checked on this host, just before use.
      run.argv = await getLoader(run.settings.loader).prepare(run.settings.args, run.settings.modules, this.loaderSettingsOf(run));
      process = await runner.launch(run);
    } catch (e) {
      if (e instanceof RunnerBusyError) return this.defer(run, e);
      return this.fail(runId, `launch failed: ${(e as Error).message}`);
    }
    const startedAt = new Date();
    Object.assign(run, { pid: process.pid, host: process.host, runDir: process.runDir, startedAt });
    const held = this.hold(run, runner, process, 'not-acted');
    await untilDone(() => this.repo.markStarted(runId, { ...process, argv: run.argv, startedAt }), {
      failed: (e) => this.dbProblem(e),
      giveUp: () => this.released,
    });
    return held;
  }

  /** Back to QUEUED to wait for its runner, unless it has waited longer than its profile allows, or a stop came first. */
  private async defer(run: Run, busy: RunnerBusyError): Promise<Outcome | Deferred> {
    const waited = Date.now() - new Date(run.createdAt).getTime();
    const limit = run.settings.queueTimeoutMs;
    if (limit !== undefined && waited >= limit)
      return this.fail(run.id, `queue timeout: ${busy.message} for ${Math.round(waited / 1000)} s`);
    const requeued = await untilDone(() => this.repo.requeue(run.id, busy.message), {
      failed: (e) => this.dbProblem(e),
      giveUp: () => this.released,
    });
    if (requeued === false) {
      const outcome: Outcome = { status: 'TERMINATED', detail: 'stopped before it started', exitCode: null };
      await untilDone(() => this.repo.finish(run.id, outcome), { failed: (e) => this.dbProblem(e), giveUp: () => this.released });
      return outcome;
    }
    return { deferred: true, retryAfterMs: limit === undefined ? busy.retryAfterMs : Math.min(busy.retryAfterMs, limit - waited) };
  }

  private async fail(id: number, detail: string): Promise<Outcome> {
    const outcome: Outcome = { status: 'FAILED', detail, exitCode: null };
    await untilDone(() => this.repo.finish(id, outcome), { failed: (e) => this.dbProblem(e), giveUp: () => this.released });
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
    const live = [...this.held.values()].filter((h) => !h.finishing).map((h) => h.run.id);
    for (const request of await this.repo.heartbeat(this.workerId, live)) this.serveStop(request);
  }

  /** What the queue dashboard shows in the job's log: the outcome and the tail of the output. */
  async summary(runId: number): Promise<string> {
    const run = await this.repo.byId(runId);
    if (!run) return `run ${runId} is gone`;
    const tail = (await this.repo.outputTail(runId, 4000, 40)).toString('utf8');
    return `run ${run.id} (${run.kind} ${run.expid ?? ''}) ${run.status}, exit code ${run.exitCode ?? '-'}: ${run.detail ?? ''}\n${run.argv.join(' ')}\n${tail}`;
  }

  /** Graceful shutdown: processes keep running; the rows are released so the next worker on this host re-attaches at once. */
  async release(): Promise<void> {
    this.released = true;
    await Promise.allSettled([...this.held.values()].map((h) => h.shipper.finish(false)));
    this.held.clear();
    await this.repo.release(this.workerId).catch((e: Error) => this.log.warn(`releasing runs: ${e.message}`));
  }

  private hold(run: Run, runner: Runner, process: RunningProcess, stop: StopState): Promise<Outcome | null> {
    const shipper = new OutputShipper(this.repo, run, runner.output(run), this.env.RUN_LOG_CAP_BYTES, (e) => this.dbProblem(e));
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
    const held: HeldRun = { run, runner, shipper, stop: escalation, finishing: false, finished: Promise.resolve(null) };
    const limit = this.timeLimit(run);
    held.finished = process.exited.then(async (exit) => {
      clearTimeout(limit);
      if (this.released) return null;
      held.finishing = true;
      await escalation.settled(this.env.STOP_GRACE_MS + 1_000);
      await shipper.finish();
      const outcome = await this.finish(run, runner, exit, escalation);
      this.held.delete(run.id);
      return outcome;
    });
    this.held.set(run.id, held);
    shipper.start();
    if (run.status === 'STOPPING') void this.onStopNotice(run.id).catch((e: Error) => this.dbProblem(e));
    return held.finished;
  }

  /** A run past its wall-clock limit is stopped like one stopped on request (from whichever worker holds it then). */
  private timeLimit(run: Run): NodeJS.Timeout | undefined {
    const limitMs = run.settings.timeoutMs;
    if (limitMs === undefined) return undefined;
    const left = limitMs - (Date.now() - new Date(run.startedAt ?? Date.now()).getTime());
    const timer = setTimeout(
      () =>
        void untilDone(() => this.repo.requestStop(run.id, false, `timed out after ${Math.round(limitMs / 1000)} s`), {
          failed: (e) => this.dbProblem(e),
          giveUp: () => this.released || !this.held.has(run.id),
        }),
      Math.max(0, left),
    );
    timer.unref();
    return timer;
  }

  /** Records the outcome, retrying through an outage of Postgres (the exit status is already on disk). */
  private async finish(run: Run, runner: Runner, exit: ExitInfo | null, stop: StopEscalation): Promise<Outcome | null> {
    const outcome = await untilDone(
      async () => {
        const row = await this.repo.byId(run.id);
        if (!row || isFinal(row.status)) return null;
        const o = outcomeOf(row, exit, stop.state);
        const result = await runResult(row.kind, o.status, {
          stdout: async () => (await this.repo.outputOf(run.id, 'stdout')).toString('utf8'),
          output: async () => (await this.repo.outputOf(run.id)).toString('utf8'),
          resultFile: async () => (await runner.resultFile?.(run)) ?? null,
        });
        return (await this.repo.finish(run.id, { ...o, result })) ? o : null;
      },
      { failed: (e) => this.dbProblem(e), giveUp: () => this.released },
    );
    if (this.released) return null;
    this.problems.recovered('database');
    await runner.release(run).catch((e: Error) => this.log.warn(`run ${run.id}: could not clean up after it: ${e.message}`));
    return outcome ?? null;
  }

  private async stopCommandOf(run: Run, force: boolean): Promise<{ argv: string[]; stdin?: string } | null> {
    if (run.kind !== 'run' || !run.expid) return null;
    const cmd = stopCommand(run.expid, { force, confirmOnStdin: run.settings.stopConfirmOnStdin === true });
    return {
      argv: await getLoader(run.settings.loader).prepare(cmd.args, run.settings.modules, this.loaderSettingsOf(run)),
      stdin: cmd.stdin,
    };
  }

  private loaderSettingsOf(run: Run) {
    return loaderSettings(run.settings, this.runners.types);
  }

  private dbProblem(e: Error): void {
    this.problems.report('database', e);
  }
}
