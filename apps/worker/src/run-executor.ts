import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { parseCreatedExpid, stopCommand } from '@runyard/autosubmit';
import { Environment } from '@runyard/config';
import { getLoader } from '@runyard/loaders';
import { Run, RunStatus } from '@runyard/persistence';
import { ExitInfo, Runner, RunnerRegistry, RunningProcess } from '@runyard/runners';
import { loaderSettings, RunsRepository } from '@runyard/runs';
import { OutputShipper } from './output-shipper';

const ACTIVE: RunStatus[] = ['STARTING', 'ACTIVE', 'STOPPING'];

/** A run this worker watches until its process ends. */
interface HeldRun {
  run: Run;
  runner: Runner;
  process: RunningProcess;
  shipper: OutputShipper;
  finished: Promise<void>;
  stopping?: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Launches, watches, stops and finishes runs on this worker; the row in Postgres is the shared truth. */
@Injectable()
export class RunExecutor {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly host = hostname();
  private readonly log = new Logger('RunExecutor');
  private readonly held = new Map<number, HeldRun>();
  /** Set on graceful shutdown: what happens to the processes after that is the next worker's to see. */
  private released = false;

  constructor(
    private readonly repo: RunsRepository,
    private readonly db: DataSource,
    private readonly runners: RunnerRegistry,
    private readonly env: Environment,
  ) {}

  /** The BullMQ job: claim the queued row, launch, and hold it until the process ends. */
  async execute(runId: number): Promise<void> {
    const run = await this.repo.claim(runId, this.workerId, this.host);
    if (!run) return; // withdrawn, already taken (a redelivered job) or finished
    let runner: Runner;
    let process: RunningProcess;
    try {
      runner = this.runners.get(run.settings.runner);
      // Prepared again where it executes: a venv is checked on this host, just before use.
      run.argv = await getLoader(run.settings.loader as never).prepare(
        run.settings.args,
        run.settings.modules,
        loaderSettings(run.settings),
      );
      process = await runner.launch(run);
    } catch (e) {
      await this.repo.transition(runId, ACTIVE, {
        status: 'FAILED',
        detail: `launch failed: ${(e as Error).message}`,
        finishedAt: new Date(),
      });
      return;
    }
    const startedAt = new Date();
    // One statement: where it runs, and ACTIVE unless a stop request already made it STOPPING.
    await this.db.query(
      `UPDATE runs SET pid = $2, host = $3, run_dir = $4, argv = $5, started_at = $6, modified_at = now(),
              status = CASE WHEN status = 'STARTING' THEN 'ACTIVE' ELSE status END
        WHERE id = $1`,
      [runId, process.pid, process.host, process.runDir, JSON.stringify(run.argv), startedAt],
    );
    Object.assign(run, { pid: process.pid, host: process.host, runDir: process.runDir, startedAt });
    return this.hold(run, runner, process);
  }

  /** Re-attaches to a run an earlier worker on this host launched (after a restart or a crash). */
  async adopt(run: Run): Promise<void> {
    const runner = this.runners.get(run.settings.runner);
    const found = await runner.attach(run);
    if (found && 'pid' in found) {
      this.log.log(`re-attached to run ${run.id} (pid ${found.pid})`);
      void this.hold(run, runner, found);
      return;
    }
    // Gone while nobody watched: ship what it left, then record how it ended.
    const shipper = new OutputShipper(this.db, run, runner.output(run), this.env.RUN_LOG_CAP_BYTES);
    await shipper.finish();
    await this.finish(run, runner, found ? found.exit : null);
  }

  private hold(run: Run, runner: Runner, process: RunningProcess): Promise<void> {
    const shipper = new OutputShipper(this.db, run, runner.output(run), this.env.RUN_LOG_CAP_BYTES);
    shipper.start();
    const held: HeldRun = { run, runner, process, shipper, finished: Promise.resolve() };
    held.finished = process.exited.then(async (exit) => {
      if (this.released) return;
      await shipper.finish();
      await this.finish(run, runner, exit);
      this.held.delete(run.id);
    });
    this.held.set(run.id, held);
    return held.finished;
  }

  private async finish(run: Run, runner: Runner, exit: ExitInfo | null): Promise<void> {
    const row = await this.repo.byId(run.id);
    if (!row) return;
    const stopped = row.status === 'STOPPING';
    const status: RunStatus = stopped ? 'TERMINATED' : exit === null ? 'LOST' : exit.code === 0 ? 'COMPLETED' : 'FAILED';
    const how =
      exit === null
        ? 'the process vanished without recording an exit status'
        : exit.signal
          ? `killed by ${exit.signal}`
          : `exit code ${exit.code}`;
    const detail = stopped ? `${row.detail ?? 'stopped'}; ${how}` : exit?.code === 127 ? `${how} (command not found)` : how;
    await this.repo.transition(run.id, ACTIVE, {
      status,
      exitCode: exit?.code ?? null,
      detail,
      result: status === 'COMPLETED' ? await this.resultOf(row) : null,
      finishedAt: new Date(),
      workerId: null,
    });
    await runner.release(run).catch(() => undefined);
  }

  /** What a short command answers, read from its output. */
  private async resultOf(run: Run): Promise<Record<string, unknown> | null> {
    if (run.kind !== 'create-experiment' && run.kind !== 'version') return null;
    const output = (await this.repo.outputOf(run.id)).toString('utf8');
    if (run.kind === 'create-experiment') return { expid: parseCreatedExpid(output) };
    const version = output.match(/\b\d+\.\d+(\.\d+)?\S*/);
    return { version: version ? version[0] : output.trim() };
  }

  /** Acts on STOPPING rows this worker holds: autosubmit stop, then SIGTERM, then SIGKILL. */
  async serveStopRequests(): Promise<void> {
    if (this.held.size === 0) return;
    const rows: { id: number; stop_force: boolean }[] = await this.db.query(
      `SELECT id, stop_force FROM runs WHERE worker_id = $1 AND status = 'STOPPING'`,
      [this.workerId],
    );
    for (const row of rows) {
      const held = this.held.get(row.id);
      if (held && !held.stopping) {
        held.stopping = this.stop(held, row.stop_force).catch((e) => this.log.error(`stop of run ${row.id}: ${(e as Error).message}`));
      }
    }
  }

  /** Each phase gets one grace period: autosubmit stop (and the exit it causes), then SIGTERM, then SIGKILL. */
  private async stop(held: HeldRun, force: boolean): Promise<void> {
    const { run, runner, shipper } = held;
    const grace = this.env.STOP_GRACE_MS;
    const endedBy = (deadline: number) =>
      Promise.race([held.finished.then(() => true), sleep(Math.max(0, deadline - Date.now())).then(() => false)]);
    if (run.kind === 'run' && run.expid) {
      const deadline = Date.now() + grace;
      const cmd = stopCommand(run.expid, { force, confirmOnStdin: run.settings.stopConfirmOnStdin === true });
      const argv = await getLoader(run.settings.loader as never).prepare(cmd.args, run.settings.modules, loaderSettings(run.settings));
      const { exit, output } = await runner.exec(run, argv, cmd.stdin, grace);
      await shipper.note(`autosubmit stop answered ${exit.code ?? exit.signal ?? 'nothing in time'}: ${output.trim().slice(-2000)}`);
      if (await endedBy(deadline)) return;
    }
    if (!force) {
      await shipper.note('the process is still running: SIGTERM to its process group');
      await runner.signal(run, 'SIGTERM');
      if (await endedBy(Date.now() + grace)) return;
    }
    await shipper.note('SIGKILL to its process group');
    await runner.signal(run, 'SIGKILL');
  }

  /** What the queue dashboard shows in the job's log: the outcome and the tail of the output. */
  async summary(runId: number): Promise<string> {
    const run = await this.repo.byId(runId);
    if (!run) return `run ${runId} is gone`;
    const tail = (await this.repo.outputTail(runId, 4000)).toString('utf8');
    return `run ${run.id} (${run.kind} ${run.expid ?? ''}) ${run.status}, exit code ${run.exitCode ?? '-'}: ${run.detail ?? ''}\n${run.argv.join(' ')}\n${tail}`;
  }

  async heartbeat(): Promise<void> {
    await this.db.query(`UPDATE runs SET heartbeat_at = now() WHERE worker_id = $1 AND status IN ('STARTING','ACTIVE','STOPPING')`, [
      this.workerId,
    ]);
  }

  /** Graceful shutdown: processes keep running; the rows are released so the next worker on this host re-attaches at once. */
  async release(): Promise<void> {
    this.released = true;
    await Promise.allSettled([...this.held.values()].map((h) => h.shipper.finish()));
    this.held.clear();
    await this.db.query(`UPDATE runs SET worker_id = NULL WHERE worker_id = $1 AND status IN ('STARTING','ACTIVE','STOPPING')`, [
      this.workerId,
    ]);
  }
}
