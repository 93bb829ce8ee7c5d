import type { Run } from '@runyard/persistence';

/** How a process ended: the exit code its wrapper recorded, or the signal that killed it. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

export const OUTPUT_STREAMS = ['stdout', 'stderr'] as const;
export type OutputStream = (typeof OUTPUT_STREAMS)[number];

/** Where a run's output accumulates while it executes (a file per stream); the worker ships it into Postgres. */
export interface OutputSource {
  /** How often to look for new output: cheap for local files, a round trip for remote ones. */
  readonly pollMs: number;
  /** Bytes written to the stream so far (0 if nothing yet). */
  size(stream: OutputStream): Promise<number>;
  read(stream: OutputStream, offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** A process a runner launched or re-attached to. */
export interface RunningProcess {
  pid: number;
  host: string;
  /** Where the runner keeps the run's pid, output and exit status. */
  runDir: string;
  /** Settles when the process ends, whoever its parent is; null when it vanished without an exit status. */
  exited: Promise<ExitInfo | null>;
}

export type RunRef = Pick<Run, 'id' | 'pid' | 'host' | 'runDir' | 'settings'>;

/** Where a run executes. One file per runner; chosen by the profile's RUNNER_TYPE through the registry. */
export interface Runner {
  readonly type: string;
  /** Starts argv detached from the worker, so the run outlives a worker restart. */
  launch(run: Pick<Run, 'id' | 'argv' | 'settings'>): Promise<RunningProcess>;
  /** Finds a run launched earlier (by this or another worker): its process, its exit (process gone, exit recorded), or null if vanished. */
  attach(run: RunRef): Promise<RunningProcess | { exit: ExitInfo } | null>;
  /** Signals the run's whole process group. */
  signal(run: RunRef, signal: NodeJS.Signals): Promise<void>;
  isAlive(run: RunRef): Promise<boolean>;
  /** Executes a short helper command (e.g. `autosubmit stop`) where the run executes; resolves with its exit and output. */
  exec(
    run: Pick<Run, 'settings'>,
    argv: string[],
    stdin: string | undefined,
    timeoutMs: number,
  ): Promise<{ exit: ExitInfo; output: string }>;
  /** The run's output, also after its process is gone. */
  output(run: RunRef): OutputSource;
  /** Frees what the run left behind once its output is stored. */
  release(run: RunRef): Promise<void>;
}

export class RunnerUnavailableError extends Error {}
