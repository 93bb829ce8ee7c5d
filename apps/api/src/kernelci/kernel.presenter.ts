import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { KERNEL_JOB_STATES } from '@runyard/persistence';
import type { KernelBuild, KernelJobState, KernelTest, KernelTestResult } from '@runyard/persistence';

const TIME = { type: String, format: 'date-time' } as const;
const text = (example: string | null) => ({ type: 'string', nullable: true, example }) as const;

export class KcidbView {
  @ApiProperty({ example: true })
  submitted: boolean;
  @ApiProperty(text(null))
  error: string | null;
}

export class ArtifactsView {
  @ApiProperty(text('https://storage.tuxsuite.com/public/…/bzImage'))
  kernel_image: string | null;
  @ApiProperty(text('https://storage.tuxsuite.com/public/…/modules.tar.xz'))
  modules: string | null;
  @ApiProperty(text('6.13.0-rc1'))
  kernel_version: string | null;
}

/** What build and test answers share: their state on TuxSuite, KCIDB's, who asked and when. */
class KernelJobView {
  @ApiProperty({ type: 'integer', example: 12 })
  id: number;
  @ApiProperty({ example: 'tuxsuite' })
  runner: string;
  @ApiProperty({ enum: KERNEL_JOB_STATES, example: 'FINISHED' })
  state: KernelJobState;
  @ApiProperty(text('2pXbVxYzkGq3'))
  uid: string | null;
  @ApiProperty(text('pass'))
  result: string | null;
  @ApiProperty({ ...text(null), description: 'why it has no result' })
  error: string | null;
  @ApiProperty({ type: KcidbView })
  kcidb: KcidbView;
  @ApiProperty({ example: 'kernelci-bridge' })
  requested_by: string;
  @ApiProperty({ ...TIME, example: '2026-12-07T09:30:00.000Z' })
  created_at: Date;
  @ApiProperty({ ...TIME, nullable: true, example: '2026-12-07T09:30:02.000Z' })
  submitted_at: Date | null;
  @ApiProperty({ ...TIME, nullable: true, example: '2026-12-07T09:41:10.000Z' })
  finished_at: Date | null;
}

export class BuildView extends KernelJobView {
  @ApiProperty({ example: 'gcc-13' })
  toolchain: string;
  @ApiProperty({ example: 'x86_64' })
  arch: string;
  @ApiProperty({ example: 'https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git' })
  tree: string;
  @ApiProperty({ example: 'master' })
  branch: string;
  @ApiProperty(text('defconfig'))
  kconfig: string | null;
  @ApiProperty({ type: [String], example: [] })
  fragments: string[];
  @ApiProperty({ type: ArtifactsView })
  artifacts: ArtifactsView;
}

export class TestView extends KernelJobView {
  @ApiProperty({ enum: ['test', 'boot'], example: 'test' })
  kind: 'test' | 'boot';
  @ApiProperty({ example: '12' })
  build_id: string;
  @ApiProperty(text('https://storage.tuxsuite.com/public/…/bzImage'))
  kernel_image_url: string | null;
  @ApiProperty(text(null))
  modules_url: string | null;
  @ApiProperty({ type: [String], example: ['ltp-smoke'] })
  tests: string[];
  @ApiProperty(text(null))
  collection: string | null;
  @ApiProperty({ example: 'qemu-x86_64' })
  device: string;
  @ApiProperty({ example: true })
  results_stored: boolean;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'ltp-smoke': 'PASS' },
    description: 'one verdict per test (PASS, FAIL, MISS, …); in the answer of GET /api/v1/tests/{id}',
  })
  results?: Record<string, string>;
}

export function presentBuild(b: KernelBuild): BuildView {
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

export function presentTest(t: KernelTest, results?: KernelTestResult[]): TestView {
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
