import type { StopRequest } from '@runyard/runs';
import { sleep, untilDone } from './retry';
import type { StopState } from './outcome';

/** What a stop needs of the run it stops: a narrow view of the held run, so the escalation can be tested alone. */
export interface StopContext {
  readonly runId: number;
  /** The run's `autosubmit stop` (argv and stdin), or null when the run is not an experiment. */
  stopCommand(force: boolean): Promise<{ argv: string[]; stdin?: string } | null>;
  exec(
    argv: string[],
    stdin: string | undefined,
    timeoutMs: number,
  ): Promise<{ exit: { code: number | null; signal: string | null }; output: string }>;
  signal(signal: NodeJS.Signals): Promise<void>;
  /** Adds a line to the run's log. */
  note(text: string): Promise<void>;
  /** Settles when the run's process has ended (or the worker let go of it). */
  readonly over: Promise<void>;
  readonly graceMs: number;
  /** A failure to reach where the run executes (logged once per problem by the caller). */
  failed(e: Error): void;
}

/**
 * Carries out a run's stop requests: autosubmit stop, then SIGTERM, then SIGKILL, each with one
 * grace period (force skips to SIGKILL). A step that cannot reach the run (SSH host down) is tried
 * again until it is carried out or the run ends; a later request acts again, even after a finished
 * escalation left the process alive.
 */
export class StopEscalation {
  private acted = false;
  private ended = false;
  private servedUntil = 0;
  private pending?: StopRequest;
  private running?: Promise<void>;
  /** The step being carried out right now (its answer decides whether the stop acted). */
  private step?: Promise<unknown>;

  constructor(
    private readonly ctx: StopContext,
    private initial: StopState = 'not-acted',
  ) {
    void ctx.over.then(() => (this.ended = true));
  }

  /** What the run's outcome should say of its stop. */
  get state(): StopState {
    return this.acted ? 'acted' : this.initial;
  }

  /** A stop request seen in the row (by notification or the heartbeat's poll); repeats of a served one are ignored. */
  serve(request: StopRequest): void {
    if (this.ended || request.requestedAt.getTime() <= this.servedUntil) return;
    this.servedUntil = request.requestedAt.getTime();
    if (this.running) this.pending = request;
    else this.start(request);
  }

  private start(request: StopRequest): void {
    this.running = this.escalate(request).finally(() => {
      this.running = undefined;
      const next = this.pending;
      this.pending = undefined;
      if (next && !this.ended) this.start(next);
    });
  }

  /** Settles when no escalation is running (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Waits (at most `ms`) for a step under way: a run that ended while its `autosubmit stop` was
   * still answering was ended by it, and the outcome must know.
   */
  async settled(ms: number): Promise<void> {
    if (this.step) await Promise.race([this.step.catch(() => undefined), sleep(ms)]);
  }

  private async escalate(request: StopRequest): Promise<void> {
    const { ctx } = this;
    const steps: (() => Promise<true>)[] = [];
    const command = await untilDone(() => ctx.stopCommand(request.force), { failed: (e) => ctx.failed(e), giveUp: () => this.ended });
    if (command) {
      steps.push(async () => {
        const { exit, output } = await ctx.exec(command.argv, command.stdin, ctx.graceMs);
        this.acted = true;
        await ctx.note(`autosubmit stop answered ${exit.code ?? exit.signal ?? 'nothing in time'}: ${output.trim().slice(-2000)}`);
        return true;
      });
    }
    if (!request.force) {
      steps.push(async () => {
        await ctx.signal('SIGTERM');
        this.acted = true;
        await ctx.note('SIGTERM sent to its process group');
        return true;
      });
    }
    steps.push(async () => {
      await ctx.signal('SIGKILL');
      this.acted = true;
      await ctx.note('SIGKILL sent to its process group');
      return true;
    });
    for (const step of steps) {
      const tracked = () => (this.step = step()).finally(() => (this.step = undefined));
      const done = this.ended
        ? undefined
        : await untilDone(tracked, { failed: (e) => ctx.failed(e), giveUp: () => this.ended, firstMs: 500, maxMs: 2_000 });
      if (done !== true || (await this.endsWithin(ctx.graceMs))) return;
    }
  }

  private async endsWithin(ms: number): Promise<boolean> {
    await Promise.race([this.ctx.over, sleep(ms)]);
    return this.ended;
  }
}
