import type { Run } from '@runyard/persistence';

/** How a process ended: the exit code its wrapper recorded, or the signal that killed it. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/** Where a run's output accumulates while it executes; the worker ships it into Postgres. */
export interface OutputFiles {
  stdout: string;
  stderr: string;
}

/** A process a runner launched or re-attached to. */
export interface RunningProcess {
  pid: number;
  host: string;
  output: OutputFiles;
  /** Settles when the process ends, whoever its parent is. */
  exited: Promise<ExitInfo | null>;
}

/** Where a run executes. One file per runner; chosen by the profile's RUNNER_TYPE through the registry. */
export interface Runner {
  readonly type: string;
  /** Starts argv detached from the worker, so the run outlives a worker restart. */
  launch(run: Pick<Run, 'id' | 'argv' | 'settings'>): Promise<RunningProcess>;
  /** Finds a run launched by an earlier worker: its process, its exit (process gone, exit recorded), or null if vanished. */
  attach(run: Pick<Run, 'id' | 'pid' | 'host'>): Promise<RunningProcess | { exit: ExitInfo } | null>;
  /** Signals the run's whole process group. */
  signal(run: Pick<Run, 'id' | 'pid'>, signal: NodeJS.Signals): Promise<void>;
  isAlive(run: Pick<Run, 'id' | 'pid'>): Promise<boolean>;
  /** Executes a short helper command (e.g. `autosubmit stop`) where the run executes; resolves with its exit and output. */
  exec(
    run: Pick<Run, 'settings'>,
    argv: string[],
    stdin: string | undefined,
    timeoutMs: number,
  ): Promise<{ exit: ExitInfo; output: string }>;
  /** The files a run's output goes to (also after its process is gone). */
  outputFiles(run: Pick<Run, 'id'>): OutputFiles;
  /** Frees what the run left on disk once its output is stored. */
  release(run: Pick<Run, 'id'>): Promise<void>;
}

export class RunnerUnavailableError extends Error {}
