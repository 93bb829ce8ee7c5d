import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { RUN_STATUSES } from '@runyard/persistence';
import type { OutputStreamName } from './line-splitter';

/** The frames of seed 003 (Automn's runner) that following a run's output sends: one per output line, then the run's outcome. */
export class LogLineFrame {
  @ApiProperty({ enum: ['log'] })
  type: 'log';
  @ApiProperty({ enum: ['stdout', 'stderr'] })
  stream: OutputStreamName;
  @ApiProperty()
  line: string;
}

export class RunOutcome {
  @ApiProperty({ type: 'integer' })
  runId: number;
  @ApiProperty({ enum: RUN_STATUSES })
  status: string;
  @ApiProperty({ type: 'integer', nullable: true })
  code: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'milliseconds from start to end' })
  duration: number | null;
}

export class ResultFrame {
  @ApiProperty({ enum: ['result'] })
  type: 'result';
  @ApiProperty({ type: () => RunOutcome })
  data: RunOutcome;
}

/** Following failed (the database went away): the stream ends after it. */
export class ErrorFrame {
  @ApiProperty({ enum: ['error'] })
  type: 'error';
  @ApiProperty()
  error_message: string;
}

export type LogFrame = LogLineFrame | ResultFrame | ErrorFrame;

export type FrameFormat = 'ndjson' | 'sse';

export const encodeFrame = (frame: LogFrame, format: FrameFormat): string =>
  format === 'sse' ? `data: ${JSON.stringify(frame)}\n\n` : `${JSON.stringify(frame)}\n`;

const EXAMPLE: LogFrame[] = [
  { type: 'log', stream: 'stdout', line: 'Running experiment a001' },
  { type: 'log', stream: 'stderr', line: 'WARNING: no platform answer yet, retrying' },
  { type: 'result', data: { runId: 42, status: 'COMPLETED', code: 0, duration: 251000 } },
];

/** The log route's answers in the docs: plain text, or followed as NDJSON or Server-Sent Events of these frames. */
export function followContent() {
  const frame = { oneOf: [LogLineFrame, ResultFrame, ErrorFrame].map((c) => ({ $ref: getSchemaPath(c) })) };
  const frames = (format: FrameFormat) => EXAMPLE.map((f) => encodeFrame(f, format)).join('');
  return {
    'text/plain': { schema: { type: 'string' }, example: 'Running experiment a001\nWARNING: no platform answer yet, retrying\n' },
    'application/x-ndjson': { schema: frame, example: frames('ndjson') },
    'text/event-stream': { schema: frame, example: frames('sse') },
  };
}
