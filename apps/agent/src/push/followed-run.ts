import type { ServerResponse } from 'node:http';
import type { AutomnResult } from '@runyard/agent-protocol';
import type { OutputOffsets, ReadOutput } from './script-execution';

type Stream = 'stdout' | 'stderr';

/**
 * The answer of a run dispatched by a Runyard host, which may change hands: when the host's worker goes
 * away (its request closes), the script runs on for `reattachMs`, and a worker that takes the run over
 * asks for the rest from the offsets it has stored (`POST /api/runs/{runId}/attach`, signed); nobody
 * within that window, the script is stopped as Automn's runner would have left it: its host is gone.
 * A stop is its own signed request (`POST /api/runs/{runId}/stop`), since a closed answer means "gone".
 */
export class FollowedRun {
  private res: ServerResponse | null;
  private comeBack: { res: ServerResponse; from: OutputOffsets } | null = null;
  private expiry?: NodeJS.Timeout;
  private settled?: () => void;
  private gone = false;
  /** settle() ran: the result is the follower's (or nobody's, the window past). */
  handedOver = false;

  constructor(
    res: ServerResponse,
    /** Ends the script (SIGTERM, SIGKILL after the grace). */
    readonly stop: () => void,
    private readonly reattachMs: number,
  ) {
    this.res = res;
    this.watch(res);
  }

  private watch(res: ServerResponse): void {
    res.on('close', () => {
      if (res.writableEnded || this.res !== res) return;
      this.res = null;
      this.expiry = setTimeout(() => {
        this.gone = true;
        this.stop();
        this.settled?.();
      }, this.reattachMs);
      this.expiry.unref();
    });
  }

  private write(res: ServerResponse | null, frame: unknown): void {
    if (res && !res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(frame)}\n`);
  }

  log(line: string, stream: Stream): void {
    this.write(this.res, { type: 'log', line, stream });
  }

  /** Bytes the follower got that are not in the output files: a follower coming back counts them in its offsets. */
  private readonly noted = { stdout: 0, stderr: 0 };

  note(line: string, stream: Stream): void {
    this.noted[stream] += Buffer.byteLength(line);
    this.log(line, stream);
  }

  /** A worker takes the run over: it gets what it has not stored at the next sync, then the rest. */
  attach(res: ServerResponse, from: OutputOffsets): boolean {
    if (this.gone) return false;
    if (this.res) {
      // Its former follower is still connected: the newer one wins (the older is a worker presumed dead).
      const old = this.res;
      this.res = null;
      old.end();
    }
    this.comeBack?.res.end();
    this.comeBack = { res, from };
    clearTimeout(this.expiry);
    // A run that ended while nobody followed it waits for this one in settle().
    this.settled?.();
    return true;
  }

  async sync(upTo: OutputOffsets, read: ReadOutput): Promise<void> {
    const next = this.comeBack;
    if (!next) return;
    this.comeBack = null;
    for (const stream of ['stdout', 'stderr'] as const) {
      const from = Math.max(0, Math.min(next.from[stream] - this.noted[stream], upTo[stream]));
      if (from < upTo[stream]) this.write(next.res, { type: 'log', line: await read(stream, from, upTo[stream]), stream });
    }
    this.res = next.res;
    this.watch(next.res);
  }

  /** Hands the result to the follower, waiting for one that comes back within the window. */
  async settle(result: AutomnResult, upTo: OutputOffsets, read: ReadOutput): Promise<void> {
    this.handedOver = true;
    if (!this.res && !this.comeBack && !this.gone) await new Promise<void>((resolve) => (this.settled = resolve));
    await this.sync(upTo, read);
    this.write(this.res, { type: 'result', data: result });
    this.res?.end();
    this.gone = true;
  }
}
