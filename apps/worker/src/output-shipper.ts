import { open, stat, FileHandle } from 'node:fs/promises';
import type { DataSource } from 'typeorm';
import type { Run } from '@runyard/persistence';
import type { OutputFiles } from '@runyard/runners';

const STREAMS = ['stdout', 'stderr'] as const;
type Stream = (typeof STREAMS)[number];
const READ_CHUNK = 1024 * 1024;
const MAX_PER_TICK = 8 * READ_CHUNK;
const TICK_MS = 100;

/**
 * Ships a run's output files into Postgres while it executes: the log is readable during the run,
 * and a worker that re-attaches resumes from the stored offsets. Past the cap, bytes are counted
 * as truncated instead of stored.
 */
export class OutputShipper {
  private offsets: Record<Stream, number>;
  private stored: number;
  private truncated: number;
  private handles: Partial<Record<Stream, FileHandle>> = {};
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: DataSource,
    private readonly run: Pick<Run, 'id' | 'outputOffsets' | 'logBytes' | 'logTruncatedBytes'>,
    private readonly files: OutputFiles,
    private readonly capBytes: number,
  ) {
    this.offsets = { ...run.outputOffsets };
    this.stored = run.logBytes;
    this.truncated = run.logTruncatedBytes;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
  }

  /** Ships what is left after the process ended, then closes the files. */
  async finish(): Promise<void> {
    clearInterval(this.timer);
    await this.tick();
    let more = true;
    while (more) more = await this.ship();
    await Promise.allSettled(Object.values(this.handles).map((h) => h!.close()));
    this.handles = {};
  }

  /** Adds a line of Runyard's own (e.g. what `autosubmit stop` answered) to the run's stderr log. */
  async note(text: string): Promise<void> {
    await this.serialize(async () => {
      await this.store([{ stream: 'stderr', data: Buffer.from(`[runyard] ${text}\n`) }], false);
    });
  }

  private tick(): Promise<void> {
    return this.serialize(async () => {
      await this.ship();
    });
  }

  private serialize(fn: () => Promise<void>): Promise<void> {
    this.running = this.running.then(fn).catch(() => undefined);
    return this.running;
  }

  /** One pass over both files; true when a file had more than one pass may read. */
  private async ship(): Promise<boolean> {
    const chunks: { stream: Stream; data: Buffer }[] = [];
    let more = false;
    for (const stream of STREAMS) {
      const handle = await this.handle(stream);
      if (!handle) continue;
      let readThisTick = 0;
      while (readThisTick < MAX_PER_TICK) {
        if (this.stored >= this.capBytes) {
          // Over the cap: count, do not read.
          const size = (await handle.stat()).size;
          this.truncated += Math.max(0, size - this.offsets[stream]);
          this.offsets[stream] = Math.max(size, this.offsets[stream]);
          break;
        }
        const want = Math.min(READ_CHUNK, this.capBytes - this.stored);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await handle.read(buf, 0, want, this.offsets[stream]);
        if (bytesRead === 0) break;
        chunks.push({ stream, data: buf.subarray(0, bytesRead) });
        this.offsets[stream] += bytesRead;
        this.stored += bytesRead;
        readThisTick += bytesRead;
      }
      if (readThisTick >= MAX_PER_TICK) more = true;
    }
    if (chunks.length > 0 || this.truncated !== this.run.logTruncatedBytes) await this.store(chunks, true);
    return more;
  }

  private async store(chunks: { stream: Stream; data: Buffer }[], counted: boolean): Promise<void> {
    const extra = counted ? 0 : chunks.reduce((n, c) => n + c.data.length, 0);
    await this.db.transaction(async (m) => {
      if (chunks.length > 0) {
        const values = chunks.map((_, i) => `($1, $${i * 2 + 2}, $${i * 2 + 3})`).join(', ');
        await m.query(`INSERT INTO run_output (run_id, stream, data) VALUES ${values}`, [
          this.run.id,
          ...chunks.flatMap((c) => [c.stream, c.data]),
        ]);
      }
      this.stored += extra;
      await m.query(`UPDATE runs SET output_offsets = $2, log_bytes = $3, log_truncated_bytes = $4 WHERE id = $1`, [
        this.run.id,
        JSON.stringify(this.offsets),
        this.stored,
        this.truncated,
      ]);
    });
    this.run.logTruncatedBytes = this.truncated;
  }

  private async handle(stream: Stream): Promise<FileHandle | undefined> {
    if (!this.handles[stream]) {
      try {
        await stat(this.files[stream]);
        this.handles[stream] = await open(this.files[stream], 'r');
      } catch {
        return undefined;
      }
    }
    return this.handles[stream];
  }
}
