import type { TuxBuildStatus, TuxTestStatus } from './callback-payload';
import type { TestResult } from './results';

/** KCIDB I/O schema 5.1 (kernelci/kcidb-io, kcidb_io/schema/v05_01.py). */
export const KCIDB_VERSION = { major: 5, minor: 1 } as const;

export type KcidbStatus = 'FAIL' | 'ERROR' | 'MISS' | 'PASS' | 'DONE' | 'SKIP';

export interface KcidbResource {
  name: string;
  url: string;
}

export interface KcidbCheckout {
  id: string;
  origin: string;
  tree_name?: string;
  git_repository_url?: string;
  git_commit_hash?: string;
  git_commit_name?: string;
  git_repository_branch?: string;
  start_time?: string;
  valid?: boolean;
  misc?: Record<string, unknown>;
}

export interface KcidbBuild {
  id: string;
  checkout_id: string;
  origin: string;
  comment?: string;
  start_time?: string;
  duration?: number;
  architecture?: string;
  compiler?: string;
  config_name?: string;
  config_url?: string;
  log_url?: string;
  output_files?: KcidbResource[];
  status?: KcidbStatus;
  misc?: Record<string, unknown>;
}

export interface KcidbTest {
  id: string;
  build_id: string;
  origin: string;
  path?: string;
  status?: KcidbStatus;
  start_time?: string;
  duration?: number;
  log_url?: string;
  environment?: { comment?: string; misc?: Record<string, unknown> };
  misc?: Record<string, unknown>;
}

export interface KcidbPayload {
  version: { major: number; minor: number };
  checkouts?: KcidbCheckout[];
  builds?: KcidbBuild[];
  tests?: KcidbTest[];
}

// Schema patterns: origin `[a-z0-9_]+`, architecture `^[a-z0-9_]*$`, test path dot-separated `[a-zA-Z0-9_-]+` nodes.
const ORIGIN = /^[a-z0-9_]+$/;
const SHA1 = /^[0-9a-f]{40}$/;

/**
 * TuxSuite/LAVA result → KCIDB status. KCIDB values pass through; `unknown`/`canceled` mean the harness
 * never got a verdict, which 5.1 calls MISS; `skip` is SKIP.
 */
export function kcidbStatus(result: string | undefined | null): KcidbStatus {
  switch ((result ?? '').toUpperCase()) {
    case 'PASS':
      return 'PASS';
    case 'FAIL':
      return 'FAIL';
    case 'ERROR':
      return 'ERROR';
    case 'SKIP':
    case 'SKIPPED':
      return 'SKIP';
    case 'DONE':
      return 'DONE';
    default:
      return 'MISS';
  }
}

export interface KcidbBuildOptions {
  /** KCIDB `tree_name`, e.g. "mainline"; omitted when unknown. */
  treeName?: string;
}

/** One build callback → its checkout and build rows. Ids are `${origin}:${uid}` for both. */
export function kcidbBuildRow(build: TuxBuildStatus, origin: string, opts: KcidbBuildOptions = {}): KcidbPayload {
  checkOrigin(origin);
  const id = `${origin}:${build.uid}`;
  const dl = dirUrl(build.download_url);
  const checkout: KcidbCheckout = compact({
    id,
    origin,
    tree_name: opts.treeName,
    git_repository_url: build.git_repo,
    git_commit_hash: build.git_sha && SHA1.test(build.git_sha) ? build.git_sha : undefined,
    git_commit_name: build.git_describe,
    git_repository_branch: build.git_ref,
    valid: true,
  });
  const image = build.kernel_image_name;
  const row: KcidbBuild = compact({
    id,
    checkout_id: id,
    origin,
    comment: build.git_describe,
    duration: typeof build.duration === 'number' ? build.duration : undefined,
    architecture: build.target_arch && /^[a-z0-9_]*$/.test(build.target_arch) ? build.target_arch : undefined,
    compiler: build.toolchain,
    config_name: build.kconfig?.length ? build.kconfig.join('+') : undefined,
    config_url: dl && `${dl}config`,
    log_url: dl && `${dl}build.log`,
    output_files: dl && image ? [{ name: image, url: `${dl}${image}` }] : undefined,
    status: kcidbStatus(build.result),
    misc: compact({
      tuxsuite_uid: build.uid,
      kernel_version: build.kernel_version,
      warnings_count: build.warnings_count,
      errors_count: build.errors_count,
    }),
  });
  return { version: { ...KCIDB_VERSION }, checkouts: [checkout], builds: [row] };
}

/**
 * One test callback's per-test results → test rows. `buildId` is the tested build's KCIDB id (a bare
 * TuxSuite uid is prefixed with `origin`); without it, the test's `waiting_for: BUILD#<uid>` is used.
 * Row ids are `${origin}:${uid}.${path}`: one TuxSuite run carries several tests.
 */
export function kcidbTestRows(test: TuxTestStatus, results: TestResult[], origin: string, buildId?: string): KcidbPayload {
  checkOrigin(origin);
  const tested = buildId ?? /^BUILD#([A-Za-z0-9]+)$/.exec(test.waiting_for ?? '')?.[1];
  if (!tested) throw new Error(`KCIDB test rows for ${test.uid}: the tested build is unknown (no buildId, no waiting_for)`);
  const build_id = tested.includes(':') ? tested : `${origin}:${tested}`;
  const dl = dirUrl(test.download_url);
  const start_time = startTime(test);
  const tests = results.map(({ test: name, result, logUrl }): KcidbTest => {
    const path = testPath(name);
    return compact({
      id: `${origin}:${test.uid}.${path}`,
      build_id,
      origin,
      path,
      status: kcidbStatus(result),
      start_time,
      duration: typeof test.duration === 'number' ? test.duration : undefined,
      log_url: logUrl ?? (dl && `${dl}logs.txt`),
      environment: test.device ? { comment: test.device } : undefined,
      misc: { tuxsuite_uid: test.uid, result },
    });
  });
  return { version: { ...KCIDB_VERSION }, tests };
}

/** KCIDB paths are dot-separated `[a-zA-Z0-9_-]+` nodes: anything else becomes `_`. */
export function testPath(name: string): string {
  return (
    name
      .split('.')
      .map((node) => node.replace(/[^a-zA-Z0-9_-]/g, '_'))
      .filter(Boolean)
      .join('.') || '_'
  );
}

/** TuxSuite times are naive UTC (`2025-04-14T13:16:27.979542`); KCIDB wants RFC 3339 with an offset. */
function startTime(test: TuxTestStatus): string | undefined {
  const running = typeof test.running_time === 'string' ? asUtc(test.running_time) : undefined;
  if (running) return running;
  const finished = test.finished_time ? asUtc(test.finished_time) : undefined;
  if (!finished) return undefined;
  const seconds = typeof test.duration === 'number' ? test.duration : 0;
  return new Date(Date.parse(finished) - seconds * 1000).toISOString();
}

function asUtc(time: string): string | undefined {
  const withZone = /(Z|[+-]\d\d:?\d\d)$/i.test(time) ? time : `${time}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function dirUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  return url.endsWith('/') ? url : `${url}/`;
}

function checkOrigin(origin: string): void {
  if (!ORIGIN.test(origin)) throw new Error(`KCIDB origin must match [a-z0-9_]+, got ${JSON.stringify(origin)}`);
}

/** KCIDB forbids nulls: drop absent fields instead of sending them. */
function compact<T extends object>(row: T): T {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined && v !== null)) as T;
}
