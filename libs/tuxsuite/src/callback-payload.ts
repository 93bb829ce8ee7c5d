/** TuxSuite uids are KSUIDs: base62, 27 characters today; only the alphabet is enforced. */
export const TUX_UID_PATTERN = /^[A-Za-z0-9]+$/;

export type TuxBuildState = 'queued' | 'provisioning' | 'building' | 'finished';
export type TuxTestState = 'waiting' | 'provisioning' | 'running' | 'finished';
export type TuxResult = 'pass' | 'fail' | 'error' | 'canceled' | 'unknown';

/** A build's status as TuxSuite reports it (callback `status`, GET …/builds/{uid}). Unknown fields are kept. */
export interface TuxBuildStatus {
  uid: string;
  state: TuxBuildState | (string & {});
  project?: string;
  result?: TuxResult | (string & {});
  build_status?: string;
  tuxbuild_status?: string;
  git_repo?: string;
  git_ref?: string;
  git_sha?: string;
  git_describe?: string;
  git_short_log?: string;
  target_arch?: string;
  toolchain?: string;
  kconfig?: string[];
  kernel_image_name?: string;
  kernel_version?: string;
  modules?: boolean | string;
  warnings_count?: number;
  errors_count?: number;
  duration?: number;
  download_url?: string;
  [field: string]: unknown;
}

/** A test run's status as TuxSuite reports it (callback `status`, GET …/tests/{uid}). Unknown fields are kept. */
export interface TuxTestStatus {
  uid: string;
  state: TuxTestState | (string & {});
  project?: string;
  result?: TuxResult | (string & {});
  results?: Record<string, string>;
  tests?: string[];
  device?: string;
  kernel?: string;
  modules?: string | null;
  waiting_for?: string | null;
  download_url?: string;
  duration?: number;
  finished_time?: string;
  [field: string]: unknown;
}

export type TuxCallback = { kind: 'build'; status: TuxBuildStatus } | { kind: 'test'; status: TuxTestStatus };

export class CallbackFormatError extends Error {
  override readonly name = 'CallbackFormatError';
}

/** Parses a verified (and repaired) callback text into `{kind, status}`, checking what Runyard relies on. */
export function parseCallback(text: string): TuxCallback {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new CallbackFormatError(`callback body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(body)) throw new CallbackFormatError('callback body must be a JSON object');
  const { kind, status } = body;
  if (kind !== 'build' && kind !== 'test')
    throw new CallbackFormatError(`callback "kind" must be "build" or "test", got ${describe(kind)}`);
  if (!isObject(status)) throw new CallbackFormatError('callback "status" must be an object');
  if (typeof status.uid !== 'string' || !TUX_UID_PATTERN.test(status.uid)) {
    throw new CallbackFormatError(`callback "status.uid" must be an alphanumeric string, got ${describe(status.uid)}`);
  }
  // Any non-empty state is accepted: a new TuxSuite state must not make Runyard drop callbacks.
  if (typeof status.state !== 'string' || status.state === '') {
    throw new CallbackFormatError(`callback "status.state" must be a non-empty string, got ${describe(status.state)}`);
  }
  return kind === 'build' ? { kind, status: status as TuxBuildStatus } : { kind, status: status as TuxTestStatus };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const json = JSON.stringify(v);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
