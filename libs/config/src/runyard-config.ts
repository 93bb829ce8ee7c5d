import type { LoaderType } from '@runyard/loaders';
import type { ScriptLanguage } from '@runyard/scripts';
import type { Plain } from './config-reader';

/** The YAML file of RUNYARD_CONFIG: seed 001's RUNNER_CONFIGURATION block and seed 000's RUNNERS block. */
export const ENDPOINT_NAMES = ['SET_JOB_STATUS', 'CREATE_EXPERIMENT', 'RUNNER_RUN', 'UPDATE_EXPERIMENT_DETAILS'] as const;
export type EndpointName = (typeof ENDPOINT_NAMES)[number];

/** What a Runner SDK session's executor runs on: the client's language. */
export const SDK_RUNTIMES = ['node', 'python'] as const;
export type SdkRuntime = (typeof SDK_RUNTIMES)[number];

/** The profile keys every runner shares. */
export interface ProfileCommon {
  RUNNER_TYPE?: string;
  MODULE_LOADER_TYPE?: LoaderType;
  MODULES?: string | string[] | null;
  /** Program run as `autosubmit` (default: `autosubmit` on PATH). */
  AUTOSUBMIT_EXECUTABLE?: string;
  /** Program run as `conda` by the CONDA loader (default: `conda` on PATH). */
  CONDA_EXECUTABLE?: string;
  /** Lmod's bash init script (default: Debian's /usr/share/lmod/lmod/init/bash). */
  LMOD_INIT?: string;
  /** Autosubmit < 4.1.16 has no `stop -y`: answer its confirmation on stdin instead. */
  STOP_CONFIRM_ON_STDIN?: boolean;
  /** Seconds a run may wait for its runner to take it (an agent with its tags, a free slot) before it fails. */
  QUEUE_TIMEOUT?: number;
  /** Seconds one attempt may last (wall clock) before it is stopped and fails; a request may ask for less. */
  TIMEOUT?: number;
  /** When a failed attempt is tried again (default: a launch that could not reach its host, 3 times). */
  RETRY?: { MAX?: number; BACKOFF?: 'exponential' | 'fixed'; DELAY?: number; ON?: string[] };
  /** Runs of this profile held at once, across all workers; the others wait QUEUED. */
  MAX_CONCURRENT_RUNS?: number;
  /** Names of the worker's environment variables the command gets as secrets: masked in its output. */
  SECRETS?: string[];
  /** Runner SDK runtimes the profile starts session executors for (they run the clients' code); unset: none. */
  SDK_RUNTIMES?: SdkRuntime[];
  /** The interpreter of Python executors (default `python3` on PATH; VENV: the venv's). */
  PYTHON_EXECUTABLE?: string;
  /** The interpreter of Node executors (default `node` on PATH). */
  NODE_EXECUTABLE?: string;
  /** Where applications' working directories are made on the runner's host (default: `.runyard/apps` in the run account's home). */
  SDK_WORKDIR?: string;
  /** Script languages the profile runs on its runner's host (script runs without an agent need one that lists theirs); unset: none. */
  SCRIPT_RUNTIMES?: ScriptLanguage[];
  /** The account the runs' processes get on a LOCAL host or an agent's (Runyard as root); unset: a uid of their own. */
  RUN_AS?: string;
}

export const COMMON_PROFILE_KEYS = [
  'RUNNER_TYPE',
  'MODULE_LOADER_TYPE',
  'MODULES',
  'AUTOSUBMIT_EXECUTABLE',
  'CONDA_EXECUTABLE',
  'LMOD_INIT',
  'STOP_CONFIRM_ON_STDIN',
  'QUEUE_TIMEOUT',
  'TIMEOUT',
  'RETRY',
  'MAX_CONCURRENT_RUNS',
  'SECRETS',
  'SDK_RUNTIMES',
  'PYTHON_EXECUTABLE',
  'NODE_EXECUTABLE',
  'SDK_WORKDIR',
  'SCRIPT_RUNTIMES',
  'RUN_AS',
] as const;

/**
 * A runner profile as the seed writes it. The upper-case keys a request may fill are the seed's; the
 * rest are set by the admin only. Beside the common keys it holds the runner's own block (`SSH:` …),
 * whose shape the runner defines.
 */
export interface Profile extends ProfileCommon {
  [block: string]: unknown;
}

/** What may be retried: a launch that executed nothing, a run LOST, a run that executed and failed. */
export const RETRY_CAUSES = ['launch_failed', 'lost', 'failed'] as const;
export type RetryCause = (typeof RETRY_CAUSES)[number];

export interface RetryPolicy {
  /** Attempts after the first. */
  max: number;
  backoff: 'exponential' | 'fixed';
  delayMs: number;
  on: RetryCause[];
}

/** By default only a launch that could not reach where the run executes is tried again. */
export const DEFAULT_RETRY: RetryPolicy = { max: 3, backoff: 'exponential', delayMs: 5_000, on: ['launch_failed'] };

/** A concurrency limit a run counts against while it is held: its profile's, its host's. */
export interface RunLimit {
  key: string;
  max: number;
  /** In words, for the detail of a run that waits (`profile LOCAL_4`, `SSH host hpc1:22`). */
  what: string;
}

export interface LoaderToggle {
  ENABLED: boolean;
  SAFE_ROOT_PATH?: string;
}

export interface RunnerToggle {
  ENABLED: boolean;
  MODULE_LOADERS: Record<LoaderType, LoaderToggle>;
  /** The runner's block keys set under RUNNERS.<type> (RUNNERS.SSH: how v4alpha's hosts are reached). */
  defaults?: Plain;
}

export interface RunyardConfig {
  /** The file it was read from, or null for the built-in demo configuration. */
  file: string | null;
  profiles: Record<string, Profile>;
  sshPublicKeys: string[];
  endpoints: Record<EndpointName, { ENABLED: boolean }>;
  /** RUNNERS.<type> for every runner this build knows. */
  runners: Record<string, RunnerToggle>;
}
