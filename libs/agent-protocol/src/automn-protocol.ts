/**
 * Automn's runner-host protocol (seed 003), as its host and runner speak it: registration and
 * heartbeat `POST {host}/api/settings/runner-hosts/{id}/register`, dispatch `POST {runner}/api/run`
 * answered with newline-delimited JSON frames.
 */

/** The versions both sides announce; Automn only warns when they do not match. */
export const AUTOMN_HOST_VERSION = '0.2.16';
export const AUTOMN_MINIMUM_RUNNER_VERSION = '0.2.15';
export const AUTOMN_RUNNER_VERSION = '0.2.16';
export const AUTOMN_MINIMUM_HOST_VERSION = '0.2.15';

export const AUTOMN_SECRET_HEADER = 'x-automn-runner-secret';
/** Automn refuses shorter secrets (the runner's setup form and /internal/reset). */
export const AUTOMN_MIN_SECRET_LENGTH = 12;

export const registerPath = (runnerId: string) => `/api/settings/runner-hosts/${encodeURIComponent(runnerId)}/register`;
/** Whether a request is to Automn's host routes, which answer errors in Automn's shape (`automnErrorBody`). */
export const isAutomnHostPath = (path: string) => path.startsWith('/api/settings/runner-hosts/');
/**
 * Automn's error shape, `{"error": "Invalid runner secret", "code": "invalid_secret"}`: a stock runner builds its
 * message from `error`, and would show Runyard's `{"error": true, …}` as "Registration failed: true".
 */
export const automnErrorBody = (status: number, message: string, extra: Record<string, unknown>) => ({
  // Automn's own text for a failure of its store.
  error: status >= 500 ? 'Failed to register runner host' : message,
  ...extra,
});

/** The runner's registration (also its heartbeat), with Runyard's two optional extensions at the end. */
export interface AutomnRegistration {
  secret: string;
  endpoint: string;
  statusMessage?: string;
  maxConcurrency?: number;
  timeoutMs?: number;
  version?: string;
  minimumHostVersion?: string;
  os?: string;
  platform?: string;
  arch?: string;
  uptime?: number;
  runtimes?: Record<string, string>;
  /** A Runyard agent verifies signed dispatches: the host need not keep its secret to send runs. */
  dispatchSignatures?: 'ed25519';
  /** How often it sends this, so the host knows when it is silent. */
  heartbeatMs?: number;
}

/** The script object of a dispatch. */
export interface AutomnScript {
  language?: string;
  code?: string;
  /** Seconds. */
  timeout?: number;
  name?: string;
  id?: string;
  /** `[{envName, value}]`: the script's, its category's, global and job variables, for its environment. */
  variables?: unknown;
}

export interface AutomnRunRequest {
  runId?: string;
  script?: AutomnScript;
  reqBody?: unknown;
}

export interface AutomnResult {
  runId: string;
  stdout: string;
  stderr: string;
  code: number;
  duration: number;
  returnData: unknown;
  automnLogs: unknown[];
  automnNotifications: unknown[];
  input: unknown;
}

/** One line of the dispatch's answer: a raw chunk of output (not necessarily a line), or the result. */
/** `stream` is Runyard's agent's addition (Automn's hosts read `line` only): its host keeps stderr apart. */
export type AutomnFrame = { type: 'log'; line: string; stream?: 'stdout' | 'stderr' } | { type: 'result'; data: AutomnResult };
