import { createHash } from 'node:crypto';

export type EmulatedResult = 'pass' | 'fail' | 'error' | 'skip' | 'unknown';

/** A stored submission: what was asked, and what the emulator reports about it. */
export interface EmulatedRun {
  kind: 'build' | 'test';
  uid: string;
  clientToken?: string;
  /** The request body as received (one entry of `builds` for builds). */
  request: Record<string, unknown>;
  state: string;
  result?: string;
  /** Per-test results of a test run; absent (null) tests are left out of results.json. */
  testResults?: Record<string, EmulatedResult | null>;
  submittedAt: Date;
  finishedAt?: Date;
}

// The quote marks are what TuxSuite has been seen to escape as `\'` (an invalid JSON escape).
export const SHORT_LOG = `Merge tag 'riscv-for-linus-6.7' of git://git.kernel.org/pub/scm/linux/kernel/git/riscv/linux`;

/** The `status` object TuxSuite reports for a build (callback body and GET …/builds/{uid}). */
export function buildStatus(run: EmulatedRun, project: string, downloadUrl: string): Record<string, unknown> {
  const req = run.request;
  const gitRepo = String(req.git_repo ?? '');
  const gitRef = typeof req.git_ref === 'string' ? req.git_ref : undefined;
  const gitSha = typeof req.git_sha === 'string' ? req.git_sha : fakeSha(`${gitRepo}#${gitRef}`);
  const finished = run.state === 'finished';
  return {
    uid: run.uid,
    project,
    state: run.state,
    result: finished ? run.result : 'unknown',
    build_status: finished ? run.result : 'unknown',
    tuxbuild_status: finished ? 'complete' : run.state,
    git_repo: gitRepo,
    git_ref: gitRef,
    git_sha: gitSha,
    git_describe: `v6.7-rc4-111-g${gitSha.slice(0, 12)}`,
    git_short_log: `${gitSha.slice(0, 12)} ("${SHORT_LOG}")`,
    target_arch: req.target_arch,
    toolchain: req.toolchain,
    kconfig: Array.isArray(req.kconfig) ? req.kconfig : [req.kconfig],
    kernel_image_name: 'Image.gz',
    kernel_version: '6.7.0-rc4',
    modules: false,
    warnings_count: 0,
    errors_count: run.result === 'fail' ? 1 : 0,
    duration: durationSeconds(run),
    download_url: downloadUrl,
    client_token: run.clientToken,
  };
}

/** The `status` object TuxSuite reports for a test run. */
export function testStatus(run: EmulatedRun, project: string, downloadUrl: string): Record<string, unknown> {
  const req = run.request;
  const finished = run.state === 'finished';
  const results: Record<string, string> = {};
  for (const [name, result] of Object.entries(run.testResults ?? {})) if (result !== null) results[name] = result;
  return {
    uid: run.uid,
    project,
    state: run.state,
    result: finished ? run.result : 'unknown',
    results: finished ? results : {},
    tests: allTests(req),
    device: req.device,
    kernel: req.kernel,
    modules: req.modules ?? null,
    waiting_for: req.waiting_for ?? null,
    download_url: downloadUrl,
    duration: durationSeconds(run),
    finished_time: run.finishedAt ? run.finishedAt.toISOString().replace('Z', '') : null,
    client_token: run.clientToken,
  };
}

/** `boot` first, as TuxSuite reports it, then the requested tests. */
export function allTests(req: Record<string, unknown>): string[] {
  const tests = Array.isArray(req.tests) ? req.tests.map(String) : [];
  return ['boot', ...tests.filter((t) => t !== 'boot')];
}

/** results.json: a `lava` map with `N_`-prefixed suite keys (boot unprefixed), like the bridge reads it. */
export function resultsJson(run: EmulatedRun): Record<string, unknown> {
  const lava: Record<string, { result: string }> = { job: { result: run.result === 'error' ? 'fail' : 'pass' } };
  let n = 0;
  for (const [name, result] of Object.entries(run.testResults ?? {})) {
    if (result === null) continue;
    lava[name === 'boot' ? name : `${n++}_${name}`] = { result };
  }
  return { lava };
}

export function logsText(run: EmulatedRun): string {
  const lines = [`tuxsuite-emulator: ${run.kind} ${run.uid}`, `state: ${run.state}`, `result: ${run.result ?? 'unknown'}`];
  for (const [name, result] of Object.entries(run.testResults ?? {})) lines.push(`${name}: ${result ?? 'missing'}`);
  return `${lines.join('\n')}\n`;
}

function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

function durationSeconds(run: EmulatedRun): number {
  return run.finishedAt ? Math.max(1, Math.round((run.finishedAt.getTime() - run.submittedAt.getTime()) / 1000)) : 0;
}
