import { setTimeout as sleep } from 'node:timers/promises';
import { AutomnLines } from './automn-lines';
import type { LogFrame } from './client';
import type { Context } from './context';
import { paint, styleFor } from './format';
import { endLine, EndState, interruptedLine, isFinal, progressText, RunAnswer } from './run-view';

/** How often a followed run's state is asked for: often while it waits (what for changes), seldom once it runs. */
const WAITING_POLL_MS = 1000;
const RUNNING_POLL_MS = 5000;

/** The exit code a finished run stands for. */
export function exitCodeOf(result: { status: string; code: number | null }): number {
  if (result.status === 'TERMINATED') return 130;
  if (result.code !== null && result.code !== undefined) return result.code === 0 && result.status !== 'COMPLETED' ? 1 : result.code;
  return result.status === 'COMPLETED' ? 0 : 1;
}

export interface Followed {
  exitCode: number;
  /** The run as it ended (or stood when Ctrl-C came); null if it could not be read. */
  run: RunAnswer | null;
}

/** Follows a run's log to its end and answers its exit code and last state (shared by run --wait, logs -f and script run --wait). */
export type FollowRun = (ctx: Context, runId: number, waitingText: string, known?: RunAnswer) => Promise<Followed>;

/**
 * Prints a run's log as it comes, what it waits for whenever that changes (on stderr), and how it
 * ended with the server's detail. Ctrl-C leaves the run alone: it says so and how to follow or stop
 * it, and answers 130 (a second Ctrl-C ends at once).
 */
export const followRun: FollowRun = async (ctx, runId, waitingText, known) => {
  const { io, spinner } = ctx;
  const errStyle = styleFor(io.stderr, io.env);
  const interrupt = new AbortController();
  const onInterrupt = () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on('SIGINT', onInterrupt);
  const lines = new AutomnLines(ctx.style);
  const watching = new AbortController();
  let result: Extract<LogFrame, { type: 'result' }>['data'] | undefined;
  try {
    spinner.start(waitingText);
    const watched = ctx.json ? Promise.resolve() : watchProgress(ctx, runId, known, watching.signal);
    try {
      for await (const frame of ctx.client.follow(runId, interrupt.signal)) {
        if (ctx.json) {
          spinner.stop();
          io.stdout.write(JSON.stringify(frame) + '\n');
        } else if (frame.type === 'log') {
          spinner.stop();
          for (const line of lines.render(frame.line))
            io.stdout.write((frame.stream === 'stderr' ? paint(ctx.style, 'red', line) : line) + '\n');
        }
        if (frame.type === 'result') result = frame.data;
      }
    } finally {
      watching.abort();
      spinner.stop();
      await watched;
    }
    const run = await readRun(ctx, runId);
    if (!result && interrupt.signal.aborted) {
      if (!run || !isFinal(run.status)) {
        io.stderr.write(interruptedLine(runId, run?.status ?? null) + '\n');
        return { exitCode: 130, run };
      }
      result = { runId, status: run.status, code: run.exit_code, duration: null };
    }
    if (!result) return { exitCode: 1, run };
    if (!ctx.json) {
      const ended = run && isFinal(run.status) ? run : { ...UNREAD, id: runId, status: result.status, exit_code: result.code };
      io.stderr.write(endLine(errStyle, ended, result.duration) + '\n');
    }
    return { exitCode: exitCodeOf(result), run };
  } finally {
    process.off('SIGINT', onInterrupt);
  }
};

const UNREAD: EndState = { id: 0, status: '', exit_code: null, detail: null, created_at: null, started_at: null, finished_at: null };

const readRun = (ctx: Context, runId: number): Promise<RunAnswer | null> =>
  ctx.client.json<RunAnswer>('GET', `/api/v1/runs/${runId}`).catch(() => null);

/** Says (above the spinner, on stderr) what the run does whenever that changes, until `stop`. */
async function watchProgress(ctx: Context, runId: number, known: RunAnswer | undefined, stop: AbortSignal): Promise<void> {
  let said = known ? progressText(known) : null;
  while (!stop.aborted) {
    const run = await readRun(ctx, runId);
    const text = run ? progressText(run) : null;
    if (stop.aborted) return;
    if (text && text !== said) ctx.spinner.note(text);
    if (text) said = text;
    const waiting = !run || run.status === 'QUEUED' || run.status === 'STARTING';
    await sleep(waiting ? WAITING_POLL_MS : RUNNING_POLL_MS, undefined, { signal: stop }).catch(() => undefined);
  }
}
