import { OutputMasker } from '@runyard/auth';
import type { Run } from '@runyard/persistence';
import { OUTPUT_STREAMS, OutputSource, OutputStream } from '@runyard/runners';
import type { OutputProgress, RunsRepository } from '@runyard/runs';
import { untilDone } from './retry';

// Small enough that a run printing hundreds of MB keeps the worker's memory flat (the driver copies each batch once more).
const READ_CHUNK = 512 * 1024;
const MAX_PER_TICK = 2 * 1024 * 1024;
const RECENT_BYTES = 4096;

type Chunk = { stream: OutputStream; data: Buffer };

/** Where shipped output goes (the runs repository; a fake in the engine's specs). */
export type OutputStore = Pick<RunsRepository, 'appendOutput' | 'outputProgress' | 'appendNotes'>;

/**
 * Ships a run's output into Postgres while it executes: the log is readable during the run, and a
 * worker that re-attaches resumes from the stored offsets. The offsets move only once the chunks
 * that advance them are committed, so an outage of Postgres loses and repeats nothing: the next
 * pass reads the same bytes again. Past the cap, bytes are counted as truncated instead of stored.
 */
export class OutputShipper {
  private committed: OutputProgress;
  /** Runyard's own lines (what `autosubmit stop` answered …), stored with the next batch. */
  private notes: Buffer[] = [];
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();
  /** The process has ended: nothing more will be written, so nothing is held back for masking. */
  private ended = false;
  /** The newest stored bytes (both streams in the order stored), for the dashboard's summary. */
  private recent: Buffer = Buffer.alloc(0);

  constructor(
    private readonly store: OutputStore,
    private readonly run: Pick<Run, 'id' | 'outputOffsets' | 'logBytes' | 'logTruncatedBytes'>,
    private readonly source: OutputSource,
    private readonly capBytes: number,
    /** Hears each failure: reading the run's output (`source`) or writing it to Postgres (`store`). */
    private readonly onFailure: (e: Error, where: 'source' | 'store') => void = () => undefined,
    private readonly masker = new OutputMasker([]),
  ) {
    this.committed = { offsets: { ...run.outputOffsets }, logBytes: run.logBytes, logTruncatedBytes: run.logTruncatedBytes };
  }

  private failed = (e: Error) => this.onFailure(e, e instanceof StoreFailure ? 'store' : 'source');

  start(): void {
    if (this.source.delivered) return;
    this.timer = setInterval(() => void this.serialize(() => this.shipOnce().catch(this.failed)), this.source.pollMs);
  }

  /**
   * Ships what is left after the process ended, then closes the source. With `retry` it keeps
   * trying through an outage; without (a worker shutting down) it tries once and leaves the rest
   * to the worker that re-attaches.
   */
  async finish(retry = true): Promise<void> {
    clearInterval(this.timer);
    this.ended = retry;
    await this.serialize(() =>
      untilDone(
        async () => {
          while (await this.shipOnce());
        },
        { failed: this.failed, giveUp: () => !retry },
      ),
    );
    await this.source.close();
  }

  /** Adds a line of Runyard's own to the run's stderr log. */
  note(text: string): Promise<void> {
    this.notes.push(Buffer.from(`[runyard] ${text}\n`));
    return this.serialize(() => this.shipOnce().catch(this.failed));
  }

  private serialize(fn: () => Promise<unknown>): Promise<void> {
    const next = this.running.then(fn);
    this.running = next.catch(() => undefined);
    return next.then(
      () => undefined,
      () => undefined,
    );
  }

  /** One pass over both streams from the committed offsets; true when a stream has more that another pass can read now. */
  private async shipOnce(): Promise<boolean> {
    if (this.source.delivered) return this.shipNotes();
    const next: OutputProgress = { ...this.committed, offsets: { ...this.committed.offsets } };
    const chunks: Chunk[] = [];
    let more = false;
    let progressed = false;
    for (const stream of OUTPUT_STREAMS) {
      const size = await this.source.size(stream);
      let readThisPass = 0;
      while (next.offsets[stream] < size && readThisPass < MAX_PER_TICK) {
        if (next.logBytes >= this.capBytes) {
          // Over the cap: count, do not read.
          next.logTruncatedBytes += size - next.offsets[stream];
          next.offsets[stream] = size;
          break;
        }
        const want = Math.min(READ_CHUNK, size - next.offsets[stream]);
        const read = await this.source.read(stream, next.offsets[stream], want);
        if (read.length === 0) break;
        // Secrets and issued tokens become [MASKED]; the start of one cut by this read is read again next time.
        const { out, consumed } = this.masker.mask(read, this.ended && next.offsets[stream] + read.length >= size);
        if (consumed === 0) break;
        const data = out.subarray(0, this.capBytes - next.logBytes);
        next.logTruncatedBytes += out.length - data.length;
        if (data.length > 0) chunks.push({ stream, data });
        next.offsets[stream] += consumed;
        next.logBytes += data.length;
        readThisPass += consumed;
        progressed = true;
      }
      if (next.offsets[stream] < size) more = true;
    }
    const notes = this.notes.length;
    for (const data of this.notes) {
      chunks.push({ stream: 'stderr', data });
      next.logBytes += data.length;
    }
    if (chunks.length === 0 && next.logTruncatedBytes === this.committed.logTruncatedBytes) return more && progressed;
    const applied = await this.store.appendOutput(this.run.id, chunks, this.committed, next).catch((e: Error) => {
      throw new StoreFailure(e);
    });
    if (!applied) {
      // The stored progress moved without us knowing: an earlier write committed though its answer was lost.
      const stored = await this.store.outputProgress(this.run.id).catch((e: Error) => {
        throw new StoreFailure(e);
      });
      if (!sameProgress(stored, next)) {
        this.committed = stored;
        return true;
      }
    }
    this.committed = next;
    this.notes.splice(0, notes);
    this.remember(chunks);
    return more && progressed;
  }

  /** Keeps the newest RECENT_BYTES stored (copies only those, whatever the size of the batch). */
  private remember(chunks: Chunk[]): void {
    const newest: Buffer[] = [];
    let size = 0;
    for (let i = chunks.length - 1; i >= 0 && size < RECENT_BYTES; i--) {
      const data = chunks[i].data.subarray(Math.max(0, chunks[i].data.length - (RECENT_BYTES - size)));
      newest.unshift(data);
      size += data.length;
    }
    const kept = this.recent.subarray(Math.max(0, this.recent.length - (RECENT_BYTES - size)));
    this.recent = Buffer.concat([kept, ...newest]);
  }

  /** The newest output this shipper stored (empty when an earlier worker stored it all). */
  tail(): Buffer {
    return this.recent;
  }

  /** For output stored by someone else: the notes are appended without touching its offsets. */
  private async shipNotes(): Promise<boolean> {
    const notes = this.notes.slice();
    if (notes.length > 0)
      await this.store.appendNotes(this.run.id, notes).catch((e: Error) => {
        throw new StoreFailure(e);
      });
    this.notes.splice(0, notes.length);
    return false;
  }
}

const sameProgress = (a: OutputProgress, b: OutputProgress) =>
  a.offsets.stdout === b.offsets.stdout &&
  a.offsets.stderr === b.offsets.stderr &&
  a.logBytes === b.logBytes &&
  a.logTruncatedBytes === b.logTruncatedBytes;

/** Writing to Postgres failed (as opposed to reading the run's output). */
class StoreFailure extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}
