import type { Response } from 'express';
import { isFinal } from '@runyard/persistence';
import type { ChannelWakeups } from '@runyard/persistence';
import type { Run } from '@runyard/persistence';
import type { OutputChunk } from '@runyard/runs';
import { encodeFrame } from './log-frames';
import type { FrameFormat, LogFrame } from './log-frames';
import { LineSplitter } from './line-splitter';

export { encodeFrame } from './log-frames';
export type { FrameFormat, LogFrame } from './log-frames';

/** What following needs from the database (RunsRepository provides both). */
export interface FollowSource {
  byId(id: number): Promise<Run | null>;
  outputAfter(runId: number, afterId: string, limit: number): Promise<OutputChunk[]>;
}

export interface FollowOptions {
  /** How often the table is polled while the run is unfinished (its output arrives meanwhile). */
  pollMs?: number;
  /** Wakes the follower when the run's status changes: its end is sent at once, not at the next poll. */
  wakeups?: Pick<ChannelWakeups, 'arm' | 'wait'>;
  /** Chunks read per query. */
  batch?: number;
  /** Aborted when the client goes away: polling stops. */
  signal?: AbortSignal;
}

/** `ms`, or until the client goes away or the wake-up fires. */
const sleep = (ms: number, signal?: AbortSignal, wake?: Promise<unknown>) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
    void wake?.then(done);
  });

export function resultFrame(run: Run): LogFrame {
  const duration = run.startedAt && run.finishedAt ? new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime() : null;
  return { type: 'result', data: { runId: run.id, status: run.status, code: run.exitCode, duration } };
}

/**
 * Follows a run's output in `run_output` from the beginning: every line once, in arrival order
 * (the last `run_output.id` sent is remembered), polling while the run is unfinished, then the
 * result frame. Reads only Postgres, so it works from any API instance. The worker stores the
 * last output before it records the final status, so draining after seeing a final status
 * misses nothing.
 */
export class LogFollower {
  private lastId = '0';
  private readonly splitter = new LineSplitter();
  private readonly pollMs: number;
  private readonly batch: number;

  constructor(
    private readonly source: FollowSource,
    private readonly runId: number,
    private readonly opts: FollowOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 200;
    this.batch = opts.batch ?? 500;
  }

  async *frames(): AsyncGenerator<LogFrame> {
    const { signal, wakeups } = this.opts;
    while (!signal?.aborted) {
      const armed = wakeups?.arm(`run ${this.runId}`);
      try {
        // Status first, output second: a final status seen here means its output is already stored.
        const run = await this.source.byId(this.runId);
        if (!run) return;
        yield* this.drain();
        if (signal?.aborted) return;
        if (isFinal(run.status)) {
          for (const l of this.splitter.flush()) yield { type: 'log', ...l };
          yield resultFrame(run);
          return;
        }
        await sleep(this.pollMs, signal, armed?.fired);
      } finally {
        armed?.cancel();
      }
    }
  }

  /** Everything stored after the last chunk sent, a batch per query. */
  private async *drain(): AsyncGenerator<LogFrame> {
    for (;;) {
      const chunks = await this.source.outputAfter(this.runId, this.lastId, this.batch);
      for (const c of chunks) {
        this.lastId = String(c.id);
        for (const l of this.splitter.push(c.stream, c.data)) yield { type: 'log', ...l };
      }
      if (chunks.length < this.batch || this.opts.signal?.aborted) return;
    }
  }
}

/**
 * Writes a follower's frames to the response as NDJSON or Server-Sent Events, respecting
 * backpressure; stops polling when the client disconnects.
 */
export async function streamFrames(
  res: Response,
  format: FrameFormat,
  follow: (signal: AbortSignal) => AsyncIterable<LogFrame>,
  keepAliveMs = 15_000,
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  res.status(200);
  res.setHeader('Content-Type', format === 'sse' ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  // SSE comments keep proxies from closing a quiet stream.
  const keepAlive = format === 'sse' ? setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs) : undefined;
  try {
    for await (const frame of follow(abort.signal)) {
      if (abort.signal.aborted) break;
      if (!res.write(encodeFrame(frame, format)) && !abort.signal.aborted) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
  } catch (e) {
    if (!abort.signal.aborted) res.write(encodeFrame({ type: 'error', error_message: (e as Error).message }, format));
  } finally {
    clearInterval(keepAlive);
    if (!res.writableEnded) res.end();
  }
}
