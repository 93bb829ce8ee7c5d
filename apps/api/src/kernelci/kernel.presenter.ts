import type { KernelBuild, KernelTest, KernelTestResult } from '@runyard/persistence';

export function presentBuild(b: KernelBuild) {
  return {
    id: b.id,
    runner: b.runner,
    toolchain: b.toolchain,
    arch: b.arch,
    tree: b.tree,
    branch: b.branch,
    kconfig: b.kconfig,
    fragments: b.fragments,
    state: b.state,
    uid: b.uid,
    result: b.result,
    artifacts: { kernel_image: b.kernelImageUrl, modules: b.modulesUrl, kernel_version: b.kernelVersion },
    error: b.error,
    kcidb: { submitted: b.kcidbSubmitted, error: b.kcidbError },
    requested_by: b.requestedBy,
    created_at: b.createdAt,
    submitted_at: b.submittedAt,
    finished_at: b.finishedAt,
  };
}

export function presentTest(t: KernelTest, results?: KernelTestResult[]) {
  return {
    id: t.id,
    kind: t.kind,
    runner: t.runner,
    build_id: t.buildId,
    kernel_image_url: t.kernelImageUrl,
    modules_url: t.modulesUrl,
    tests: t.tests,
    collection: t.collection,
    device: t.device,
    state: t.state,
    uid: t.uid,
    result: t.result,
    results_stored: t.resultsStored,
    ...(results ? { results: Object.fromEntries(results.map((r) => [r.test, r.result])) } : {}),
    error: t.error,
    kcidb: { submitted: t.kcidbSubmitted, error: t.kcidbError },
    requested_by: t.requestedBy,
    created_at: t.createdAt,
    submitted_at: t.submittedAt,
    finished_at: t.finishedAt,
  };
}
