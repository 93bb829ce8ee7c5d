export type OutputStreamName = 'stdout' | 'stderr';

const NEWLINE = 0x0a;

/**
 * Splits each stream's chunks into lines, keeping a partial last line per stream until its
 * newline arrives (or `flush` at the end of the run). Lines are split on bytes, then decoded, so
 * a multi-byte character cut between two chunks stays whole.
 */
export class LineSplitter {
  private readonly partial: Record<OutputStreamName, Buffer[]> = { stdout: [], stderr: [] };

  push(stream: OutputStreamName, data: Buffer): { stream: OutputStreamName; line: string }[] {
    const lines: { stream: OutputStreamName; line: string }[] = [];
    let start = 0;
    for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
      const pending = this.partial[stream];
      const bytes = pending.length > 0 ? Buffer.concat([...pending, data.subarray(start, nl)]) : data.subarray(start, nl);
      this.partial[stream] = [];
      lines.push({ stream, line: decodeLine(bytes) });
      start = nl + 1;
    }
    if (start < data.length) this.partial[stream].push(data.subarray(start));
    return lines;
  }

  /** The partial last lines, once no more output will come. */
  flush(): { stream: OutputStreamName; line: string }[] {
    const out: { stream: OutputStreamName; line: string }[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream].length > 0) out.push({ stream, line: decodeLine(Buffer.concat(this.partial[stream])) });
      this.partial[stream] = [];
    }
    return out;
  }
}

const decodeLine = (bytes: Buffer): string => {
  const text = bytes.toString('utf8');
  return text.endsWith('\r') ? text.slice(0, -1) : text;
};
