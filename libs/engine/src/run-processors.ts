import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Job, Worker } from 'bullmq';
import { Environment } from '@runyard/config';
import { ChannelListener, DATABASE_URL } from '@runyard/persistence';
import { COMMANDS_QUEUE, ConnectionProblems, DelayedError, QueueConnection, RUNS_QUEUE, RunJob, UnrecoverableError } from '@runyard/queue';
import { RunnerRegistry } from '@runyard/runners';
import { STOP_CHANNEL } from '@runyard/runs';
import { Reconciler } from './reconciler';
import { RunExecutor } from './run-executor';

/**
 * The BullMQ workers of both run queues and the worker's periodic duties.
 *
 * Not @nestjs/bullmq's @Processor: its explorer builds every worker with bullmq's Redis Worker at
 * module init, so it cannot use BullMQ's PostgreSQL backend (the embedded mode, withBackend), would
 * take jobs before this worker has re-attached its host's runs (start() reconciles first), and has no
 * place for the outage-aware close (QueueConnection.createWorker).
 */
@Injectable()
export class RunProcessors implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Worker');
  private readonly problems = new ConnectionProblems(this.log);
  private workers: Worker<RunJob>[] = [];
  private timers: NodeJS.Timeout[] = [];
  private listener?: ChannelListener;
  private closing = false;

  constructor(
    private readonly connection: QueueConnection,
    private readonly executor: RunExecutor,
    private readonly reconciler: Reconciler,
    private readonly runners: RunnerRegistry,
    private readonly env: Environment,
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
    @Optional() private readonly http?: HttpAdapterHost,
  ) {}

  /** Not awaited: reconciling may wait for Redis, and the `all` role's API must serve meanwhile. */
  onApplicationBootstrap(): void {
    void this.start();
  }

  private async start(): Promise<void> {
    // Re-attach first: a restarted worker picks its host's runs up before taking new work.
    await this.reconciler.reconcile().catch((e: Error) => this.log.error(`reconcile: ${e.message}`));
    if (this.closing) return;
    const processor = async (job: Job<RunJob>, token?: string) => {
      const outcome = await this.executor.execute(job.data.runId);
      if (outcome && 'deferred' in outcome) {
        // Waiting for its runner: the same job comes back later (the row says QUEUED and why).
        await job.moveToDelayed(Date.now() + outcome.retryAfterMs, token);
        throw new DelayedError();
      }
      // For the dashboard, after the job is done: the slot is not held for it.
      void this.executor
        .summary(job.data.runId)
        .then((text) => job.log(text))
        .catch(() => undefined);
      // The row decides, not BullMQ: a failed attempt fails its job (shown in the Failed tab) and BullMQ never
      // retries it; a run the policy tries again already has the job of its next attempt.
      if (outcome && 'retried' in outcome) throw new UnrecoverableError(outcome.detail);
      if (outcome && (outcome.status === 'FAILED' || outcome.status === 'LOST')) throw new UnrecoverableError(outcome.detail);
      // Stopped is not done: the dashboard would show a TERMINATED run as a green, completed job.
      if (outcome && outcome.status === 'TERMINATED') throw new UnrecoverableError(`TERMINATED: ${outcome.detail}`);
    };
    this.workers = [
      this.connection.createWorker(RUNS_QUEUE, processor, { concurrency: this.env.RUN_CONCURRENCY }),
      this.connection.createWorker(COMMANDS_QUEUE, processor, { concurrency: this.env.COMMAND_CONCURRENCY }),
    ];
    const heartbeat = () => this.executor.heartbeat();
    // A stop reaches the worker holding the run as soon as it is committed (`<worker id> <run id>`);
    // the heartbeat's poll is the fallback, and runs once more after a reconnect.
    this.listener = new ChannelListener({
      databaseUrl: this.databaseUrl,
      channel: STOP_CHANNEL,
      applicationName: 'runyard-stop-listener',
      what: 'stop requests',
      onNotification: (payload) => {
        const [worker, id] = payload.split(' ');
        if (worker !== this.executor.workerId || !/^\d+$/.test(id ?? '')) return;
        void this.executor.onStopNotice(Number(id)).catch((e: Error) => this.log.warn(`stop of run ${id}: ${e.message}`));
      },
      onConnected: () => void heartbeat().catch(() => undefined),
      log: this.log,
    });
    this.listener.start();
    this.every(this.env.HEARTBEAT_MS, 'heartbeat', heartbeat);
    this.every(this.env.HEARTBEAT_MS, 'reconciler', () => this.reconciler.reconcile());
    // Beside the API (the all role) the start's last lines are its URLs: this one is for a worker process of its own.
    const say = this.http?.httpAdapter ? 'debug' : 'log';
    this.log[say](
      `worker ${this.executor.workerId} consuming ${RUNS_QUEUE} (×${this.env.RUN_CONCURRENCY}) and ${COMMANDS_QUEUE} (×${this.env.COMMAND_CONCURRENCY})`,
    );
  }

  /** A periodic duty that never overlaps itself; a failure is logged once until it works again, the next tick retries. */
  private every(ms: number, name: string, fn: () => Promise<void>): void {
    let busy = false;
    this.timers.push(
      setInterval(() => {
        if (busy) return;
        busy = true;
        fn()
          .then(
            () => this.problems.recovered(name),
            (e: Error) => this.problems.report(name, e),
          )
          .finally(() => (busy = false));
      }, ms),
    );
  }

  /** Takes no new jobs, lets short commands finish, leaves long runs running for the next worker. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.timers.forEach(clearInterval);
    const [runs, commands] = this.workers;
    await Promise.allSettled([runs?.close(true), commands?.close()]);
    await this.listener?.close();
    await this.executor.release();
    await this.runners.close();
  }
}
