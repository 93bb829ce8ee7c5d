/**
 * The pull protocol between a Runyard agent and the API, as JSON over HTTP(S). The agent's secret
 * authenticates its own routes (`/api/v1/agents/:id/…`); each run handed to it comes with a job token
 * that authenticates that run's routes (`/api/v1/agent-jobs/:runId/…`) until the run finishes.
 */

/** A file of the run directory, as RunSettings keeps it (content base64). */
export interface JobFile {
  name: string;
  content: string;
  executable?: boolean;
}

/** What a run executes, prepared on the agent's own host by the run's loader (its checks are made there). */
export interface JobSpec {
  loader: string;
  modules: string[];
  /** The program the loader runs; unset: Autosubmit. */
  program?: string;
  args: string[];
  condaExecutable?: string;
  lmodInit?: string;
  safeRootPath?: string;
  env?: Record<string, string>;
  files?: JobFile[];
  stdin?: string;
  /** The profile's RUN_AS: the account the run's processes get on the agent's host (an agent running as root). */
  runAs?: string;
}

export interface StreamOffsets {
  stdout: number;
  stderr: number;
}

/** A run handed to the agent. */
export interface AgentJob {
  run_id: number;
  /** Authenticates this run's routes until it finishes; shown once. */
  token: string;
  spec: JobSpec;
}

/** A signal asked for one of the agent's runs (a stop); `seq` grows with each request. */
export interface AgentSignal {
  run_id: number;
  signal: string;
  seq: number;
}

/** A short command to execute where a run executes (`autosubmit stop`), argv already prepared. */
export interface AgentCommand {
  id: string;
  run_id: number;
  argv: string[];
  stdin?: string;
  timeout_ms: number;
}

/** What the agent is and what it runs, sent with every heartbeat. */
export interface AgentReport {
  version: string;
  os: string;
  arch: string;
  runtimes: Record<string, string>;
  /** It is shutting down: no new runs for it. */
  draining: boolean;
  running: number[];
}

export interface HeartbeatAnswer {
  heartbeat_ms: number;
  long_poll_ms: number;
  /** Its secret should be replaced (POST …/rotate), without downtime. */
  rotate: boolean;
  /** Runs it reported that are not its to run (anymore): it stops them and forgets them. */
  drop: number[];
}

export interface PollRequest {
  /** Its runs, with the last signal request it acted on. */
  running: { run_id: number; signal_seq: number }[];
  /** Runs handed to it that it is starting: not to be handed again. */
  starting: number[];
  /** Commands it is executing. */
  commands: string[];
  free_slots: number;
  /**
   * Numbers the agent's polls, increasing (across its restarts too): a poll older than the newest the
   * API has seen hands out nothing (409 with the newest `poll_seq` when it arrives late). Left out: unnumbered.
   */
  poll_seq?: number;
}

export interface PollAnswer {
  jobs: AgentJob[];
  signals: AgentSignal[];
  commands: AgentCommand[];
}

export interface StartedReport {
  pid: number;
  run_dir: string;
}

/** A chunk of one stream at the byte offset where it starts. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  offset: number;
  /** base64 */
  data: string;
}

/** Where the stored stream ends now: the next chunk starts there, whether this one was stored or already was. */
export interface OutputAnswer {
  appended: boolean;
  offset: number;
}

export interface FinishReport {
  exit_code?: number | null;
  signal?: string | null;
  /** Why it could not start (a loader's check failed on the agent's host …). */
  error?: string;
  /** The process is gone without an exit status (found so after the agent's restart): the run is LOST. */
  vanished?: boolean;
  /** The final size of each stream: the run finishes only once all of it is stored. */
  sizes: StreamOffsets;
  /** What the run left in RUNYARD_RESULT_FILE, base64. */
  result_file?: string;
}

export interface JobState {
  state: string;
  offsets: StreamOffsets;
}

export interface CommandResult {
  exit_code?: number | null;
  signal?: string | null;
  output: string;
}

export interface RotateAnswer {
  secret: string;
}

/** The largest output chunk an agent sends at once (before base64). */
export const MAX_OUTPUT_CHUNK = 256 * 1024;
