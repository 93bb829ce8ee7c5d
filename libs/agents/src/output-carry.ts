import { OutputMasker } from '@runyard/auth';

/** Runs whose held-back bytes are kept at most (the oldest are forgotten past it: their next chunk is masked alone). */
const MAX_HELD = 10_000;

/**
 * Masks the tokens Runyard issued in an agent's output chunks, across chunks: the end of a chunk that
 * may be the start of a token (at most a token's length) is held back and stored with the next chunk
 * of the same run and stream, as LOCAL's shipper does with its reads. The stream's offsets still move
 * by the agent's bytes; what is held back is stored at the run's finish.
 */
export class OutputCarry {
  private readonly masker = new OutputMasker([]);
  /** `run stream` → the bytes held back and the agent's offset they end at. */
  private readonly held = new Map<string, { end: number; bytes: Buffer }>();

  /** What to store for the chunk at `offset`; `kept()` once it was stored, so the next chunk starts from what it held back. */
  prepare(runId: number, stream: string, offset: number, data: Buffer): { stored: Buffer; kept: () => void } {
    const key = `${runId} ${stream}`;
    const before = this.held.get(key);
    const input = before && before.end === offset ? Buffer.concat([before.bytes, data]) : data;
    const { out, consumed } = this.masker.mask(input, false);
    return {
      stored: out,
      kept: () => {
        this.held.delete(key);
        if (consumed < input.length) this.held.set(key, { end: offset + data.length, bytes: Buffer.from(input.subarray(consumed)) });
        for (const oldest of this.held.keys()) {
          if (this.held.size <= MAX_HELD) break;
          this.held.delete(oldest);
        }
      },
    };
  }

  /** The run ended: what its streams still hold back, masked (a token cut by the end is no token). */
  release(runId: number, stream: string): Buffer | null {
    const key = `${runId} ${stream}`;
    const before = this.held.get(key);
    this.held.delete(key);
    return before ? this.masker.mask(before.bytes, true).out : null;
  }
}
