import type { DataSource } from 'typeorm';
import type { Run } from '@runyard/persistence';
import { OUTPUT_STREAMS, OutputSource, OutputStream } from '@runyard/runners';

// Small enough that a run printing hundreds of MB keeps the worker's memory flat (the driver copies each batch once more).
const READ_CHUNK = 512 * 1024;
const MAX_PER_TICK = 2 * 1024 * 1024;

/**
 * Ships a run's output into Postgres while it executes: the log is readable during the run, and a
 * worker that re-attaches resumes from the stored offsets. Past the cap, bytes are counted as
 * truncated instead of stored.
 */
export class OutputShipper {
  private offsets: Record<OutputStream, number>;
  private stored: number;
  private truncated: number;
  private storedTruncated: number;
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: DataSource,
    run: Pick<Run, 'id' | 'outputOffsets' | 'logBytes' | 'logTruncatedBytes'>,
    private readonly source: OutputSource,
    private readonly capBytes: number,
    private readonly runId = run.id,
  ) {
    this.offsets = { ...run.outputOffsets };
    this.stored = run.logBytes;
    this.truncated = this.storedTruncated = run.logTruncatedBytes;
  }

  start(): void {
    this.timer = setInterval(() => void this.serialize(() => this.ship()), this.source.pollMs);
  }

  /** Ships what is left after the process ended, then closes the source. */
  async finish(): Promise<void> {
    clearInterval(this.timer);
    await this.serialize(async () => {
      while (await this.ship());
    });
    await this.source.close();
  }

  /** Adds a line of Runyard's own (e.g. what `autosubmit stop` answered) to the run's stderr log. */
  note(text: string): Promise<void> {
    return this.serialize(() => this.store([{ stream: 'stderr', data: Buffer.from(`[runyard] ${text}\n`) }], true));
  }

  private serialize(fn: () => Promise<unknown>): Promise<void> {
    const next = this.running.then(fn);
    this.running = next.catch(() => undefined);
    return next.then(
      () => undefined,
      () => undefined,
    );
  }

  /** One pass over both streams; true when a stream had more than one pass may read. */
  private async ship(): Promise<boolean> {
    const chunks: { stream: OutputStream; data: Buffer }[] = [];
    let more = false;
    for (const stream of OUTPUT_STREAMS) {
      const size = await this.source.size(stream);
      let readThisTick = 0;
      while (this.offsets[stream] < size && readThisTick < MAX_PER_TICK) {
        if (this.stored >= this.capBytes) {
          // Over the cap: count, do not read.
          this.truncated += size - this.offsets[stream];
          this.offsets[stream] = size;
          break;
        }
        const want = Math.min(READ_CHUNK, this.capBytes - this.stored, size - this.offsets[stream]);
        const data = await this.source.read(stream, this.offsets[stream], want);
        if (data.length === 0) break;
        chunks.push({ stream, data });
        this.offsets[stream] += data.length;
        this.stored += data.length;
        readThisTick += data.length;
      }
      if (this.offsets[stream] < size) more = true;
    }
    if (chunks.length > 0 || this.truncated !== this.storedTruncated) await this.store(chunks, false);
    return more;
  }

  /** The chunks and the offsets they advance together, so a re-attaching worker neither repeats nor loses a byte. */
  private async store(chunks: { stream: OutputStream; data: Buffer }[], ownText: boolean): Promise<void> {
    if (ownText) this.stored += chunks.reduce((n, c) => n + c.data.length, 0);
    const progress = [JSON.stringify(this.offsets), this.stored, this.truncated];
    const update = `UPDATE runs SET output_offsets = $2, log_bytes = $3, log_truncated_bytes = $4 WHERE id = $1`;
    if (chunks.length === 0) {
      await this.db.query(update, [this.runId, ...progress]);
    } else {
      // One statement, so atomic without a transaction's extra round trips: the chunks and the offsets they advance.
      const values = chunks.map((_, i) => `($1, $${i * 2 + 5}, $${i * 2 + 6})`).join(', ');
      await this.db.query(`WITH chunks AS (INSERT INTO run_output (run_id, stream, data) VALUES ${values}) ${update}`, [
        this.runId,
        ...progress,
        ...chunks.flatMap((c) => [c.stream, c.data]),
      ]);
    }
    this.storedTruncated = this.truncated;
  }
}
