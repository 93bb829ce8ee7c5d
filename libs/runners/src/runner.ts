import type { RunnerProfileSchema } from '@runyard/config';
import type { Run } from '@runyard/persistence';

/** How a process ended: the exit code its wrapper recorded, or the signal that killed it. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** Runyard's own account of the end, said in the run's detail instead of the exit status (an agent's answer over its cap, its agent revoked). */
  reason?: string;
  /** The process is out of reach and how it ended unknown (its agent was revoked): the run is LOST. */
  lost?: boolean;
}

export const OUTPUT_STREAMS = ['stdout', 'stderr'] as const;
export type OutputStream = (typeof OUTPUT_STREAMS)[number];

/** Where a run's output accumulates while it executes (a file per stream); the worker ships it into Postgres. */
export interface OutputSource {
  /** How often to look for new output: cheap for local files, a round trip for remote ones. */
  readonly pollMs: number;
  /** The output reaches Postgres without the worker (an agent appends it through the API): only Runyard's notes are shipped. */
  readonly delivered?: boolean;
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

/** What a runner finds of a run launched earlier (by this or another worker). */
export type Attachment = { state: 'running'; process: RunningProcess } | { state: 'exited'; exit: ExitInfo } | { state: 'vanished' };

export type RunRef = Pick<Run, 'id' | 'pid' | 'host' | 'runDir' | 'settings'>;
export type LaunchRef = Pick<Run, 'id' | 'argv' | 'settings'>;

/** Where a run executes. One file per runner (its definition and this strategy), listed once in the catalogue. */
export interface Runner {
  readonly type: string;
  /**
   * Starts argv detached from the worker, so the run outlives a worker restart. `secrets` (name →
   * value) reach the process as environment variables only: never argv, never stored.
   */
  launch(run: LaunchRef, secrets?: Record<string, string>): Promise<RunningProcess>;
  attach(run: RunRef): Promise<Attachment>;
  /** Signals the run's whole process group. */
  signal(run: RunRef, signal: NodeJS.Signals): Promise<void>;
  /** Executes a short helper command (e.g. `autosubmit stop`) where the run executes; resolves with its exit and output. */
  exec(run: RunRef, argv: string[], stdin: string | undefined, timeoutMs: number): Promise<{ exit: ExitInfo; output: string }>;
  /** The run's output, also after its process is gone. */
  output(run: RunRef): OutputSource;
  /** What the run left in RUNYARD_RESULT_FILE (null if nothing), read once it ended and before `release`. */
  resultFile?(run: RunRef): Promise<Buffer | null>;
  /** Frees what the run left behind once its output is stored. */
  release(run: RunRef): Promise<void>;
  /** Closes what the runner holds open (connections) when the worker stops. */
  close?(): Promise<void>;
}

/** What a runner may need from the process that starts it. */
export interface RunnerContext {
  /** RUNYARD_DATA_DIR, resolved. */
  dataDir: string;
  /** A service of the process by its Nest token (e.g. the agents' dispatch for AGENT). */
  get<T>(token: symbol | string | (abstract new (...args: never[]) => T)): T;
  /** The process's log, for what a runner says once at start (what its runs can reach). */
  log?(message: string): void;
}

/**
 * A runner type: its part of the configuration, what sets it apart from the others, and how to
 * make its strategy. Exported from the runner's own file and listed in runner-catalogue.ts.
 */
export interface RunnerDefinition extends RunnerProfileSchema {
  /** The run's state (pid, exit file, output) is on the worker's machine: only a worker there can follow it. */
  readonly hostBound: boolean;
  /** Commands execute on another machine, whose file system this one cannot check. */
  readonly remote: boolean;
  create(context: RunnerContext): Runner;
}

export class RunnerUnavailableError extends Error {}

/**
 * The launch failed before anything of the run executed (its directory could not be made, its program
 * could not be started): another attempt runs nothing twice. RETRY's `launch_failed` is this error.
 */
export class LaunchFailedError extends Error {}

/** Where the run executes could not be reached (an SSH host that refuses connections, an agent that is gone). */
export class RunnerUnreachableError extends LaunchFailedError {}

/**
 * Thrown by `launch` when the run cannot start yet (no agent with its tags is free, a concurrency
 * limit is reached): the engine puts it back to QUEUED with this message as its detail and tries
 * again after `retryAfterMs`, until the profile's queue timeout.
 */
export class RunnerBusyError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs = 2_000,
  ) {
    super(message);
  }
}
