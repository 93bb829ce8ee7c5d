/** The YAML file of RUNYARD_CONFIG: seed 001's RUNNER_CONFIGURATION block and seed 000's RUNNERS block. */
export const RUNNER_TYPES = ['LOCAL', 'SSH'] as const;
export type RunnerType = (typeof RUNNER_TYPES)[number];

export const LOADER_TYPES = ['NO_MODULE', 'VENV', 'CONDA', 'LMOD'] as const;
export type LoaderTypeName = (typeof LOADER_TYPES)[number];

export const ENDPOINT_NAMES = ['SET_JOB_STATUS', 'CREATE_EXPERIMENT', 'RUNNER_RUN', 'UPDATE_EXPERIMENT_DETAILS'] as const;
export type EndpointName = (typeof ENDPOINT_NAMES)[number];

export interface ProfileSsh {
  HOST?: string;
  PORT?: number;
  USER?: string;
  /** Runyard's own keys, set by the admin only: */
  IDENTITY_FILE?: string;
  IDENTITY_ENV?: string;
  KNOWN_HOSTS?: string;
  HOST_KEY_FINGERPRINT?: string;
  STRICT_HOST_KEY_CHECKING?: boolean;
  /** Seconds. */
  CONNECT_TIMEOUT?: number;
  /** Seconds. */
  KEEPALIVE_INTERVAL?: number;
  RUN_DIR?: string;
}

/** The SSH keys only the admin may set (a request may fill HOST, PORT and USER). */
export const SSH_ADMIN_KEYS = [
  'IDENTITY_FILE',
  'IDENTITY_ENV',
  'KNOWN_HOSTS',
  'HOST_KEY_FINGERPRINT',
  'STRICT_HOST_KEY_CHECKING',
  'CONNECT_TIMEOUT',
  'KEEPALIVE_INTERVAL',
  'RUN_DIR',
] as const;

/** An SSH host as a run reaches it: the address, and the admin's choices of key and host key check. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** Path of the private key file. */
  identityFile?: string;
  /** Name of the environment variable holding the private key. */
  identityEnv?: string;
  knownHostsFile?: string;
  /** 'SHA256:…' of the expected host key. */
  hostKeyFingerprint?: string;
  /** false only when the admin wrote STRICT_HOST_KEY_CHECKING: False. */
  strictHostKeyChecking: boolean;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Remote directory holding the run directories (relative paths are under the user's home). */
  runRoot: string;
}

/** A runner profile. The upper-case keys a request may fill are the seed's; the rest are set by the admin only. */
export interface Profile {
  RUNNER_TYPE?: RunnerType;
  MODULE_LOADER_TYPE?: LoaderTypeName;
  MODULES?: string | string[] | null;
  SSH?: ProfileSsh;
  /** Program run as `autosubmit` (default: `autosubmit` on PATH). */
  AUTOSUBMIT_EXECUTABLE?: string;
  /** Program run as `conda` by the CONDA loader (default: `conda` on PATH). */
  CONDA_EXECUTABLE?: string;
  /** Lmod's bash init script (default: Debian's /usr/share/lmod/lmod/init/bash). */
  LMOD_INIT?: string;
  /** Autosubmit < 4.1.16 has no `stop -y`: answer its confirmation on stdin instead. */
  STOP_CONFIRM_ON_STDIN?: boolean;
}

export interface LoaderToggle {
  ENABLED: boolean;
  SAFE_ROOT_PATH?: string;
}

export interface RunnerToggle {
  ENABLED: boolean;
  MODULE_LOADERS: Record<LoaderTypeName, LoaderToggle>;
  /** RUNNERS.SSH only: how v4alpha's runner_extra_params hosts are reached (keys, host key check). */
  SSH?: ProfileSsh;
}

export interface RunyardConfig {
  /** The file it was read from, or null for the built-in demo configuration. */
  file: string | null;
  profiles: Record<string, Profile>;
  sshPublicKeys: string[];
  endpoints: Record<EndpointName, { ENABLED: boolean }>;
  runners: Record<RunnerType, RunnerToggle>;
}
