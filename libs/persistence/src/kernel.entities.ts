import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Where a build or test stands: scheduled here, accepted by the runner service, finished (callback), or not submittable. */
export const KERNEL_JOB_STATES = ['SCHEDULED', 'SUBMITTED', 'FINISHED', 'SUBMISSION_FAILED'] as const;
export type KernelJobState = (typeof KERNEL_JOB_STATES)[number];

/** What builds and tests share: a job on a runner service that answers by callback. */
abstract class KernelJob {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 32 })
  runner: string;

  @Column({ type: 'varchar', length: 24 })
  state: KernelJobState;

  /** The runner's id for it (TuxSuite uid), known once submitted. */
  @Column({ type: 'varchar', length: 64, nullable: true, unique: true })
  uid: string | null;

  /** The runner's verdict from the callback (pass, fail, …). */
  @Column({ type: 'varchar', length: 32, nullable: true })
  result: string | null;

  @Column({ type: 'jsonb', nullable: true })
  callback: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ type: 'boolean', name: 'kcidb_submitted', default: false })
  kcidbSubmitted: boolean;

  @Column({ type: 'text', name: 'kcidb_error', nullable: true })
  kcidbError: string | null;

  @Column({ type: 'varchar', name: 'requested_by', length: 255 })
  requestedBy: string;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  @Column({ type: 'timestamptz', name: 'submitted_at', nullable: true })
  submittedAt: Date | null;

  @Column({ type: 'timestamptz', name: 'finished_at', nullable: true })
  finishedAt: Date | null;
}

/** A kernel build scheduled on a build runner (TuxSuite): the bridge's scheduled_build, run_build and build_artifact in one row. */
@Entity({ name: 'kernel_builds' })
export class KernelBuild extends KernelJob {
  @Column({ type: 'varchar', length: 64 })
  toolchain: string;

  @Column({ type: 'varchar', length: 32 })
  arch: string;

  /** The git repository URL. */
  @Column({ type: 'varchar', length: 1024 })
  tree: string;

  @Column({ type: 'varchar', length: 255 })
  branch: string;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  kconfig: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  fragments: string[];

  @Column({ type: 'varchar', name: 'kernel_image_url', length: 2048, nullable: true })
  kernelImageUrl: string | null;

  @Column({ type: 'varchar', name: 'modules_url', length: 2048, nullable: true })
  modulesUrl: string | null;

  @Column({ type: 'varchar', name: 'kernel_version', length: 128, nullable: true })
  kernelVersion: string | null;
}

/** A test run (or a boot test: a test run with no tests) of a built kernel on a test runner. */
@Entity({ name: 'kernel_tests' })
export class KernelTest extends KernelJob {
  @Column({ type: 'varchar', length: 8 })
  kind: 'test' | 'boot';

  /** The build it tests, as the client names it (a Runyard build id or an external one). */
  @Column({ type: 'varchar', name: 'build_id', length: 255 })
  buildId: string;

  /** Null for results run elsewhere and submitted (POST /api/v1/tests/submit). */
  @Column({ type: 'varchar', name: 'kernel_image_url', length: 2048, nullable: true })
  kernelImageUrl: string | null;

  @Column({ type: 'varchar', name: 'modules_url', length: 2048, nullable: true })
  modulesUrl: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  tests: string[];

  @Column({ type: 'varchar', length: 255, nullable: true })
  collection: string | null;

  @Column({ type: 'varchar', length: 64 })
  device: string;

  /** The results were fetched from the download URL and stored per test. */
  @Column({ type: 'boolean', name: 'results_stored', default: false })
  resultsStored: boolean;

  @Column({ type: 'text', name: 'log_text', nullable: true })
  logText: string | null;
}

@Entity({ name: 'kernel_test_results' })
export class KernelTestResult {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'int', name: 'test_id' })
  testId: number;

  @Column({ type: 'varchar', length: 255 })
  test: string;

  @Column({ type: 'varchar', length: 16 })
  result: string;

  /** This test's own log, when its submitter gave one (else the test run's logs.txt). */
  @Column({ type: 'varchar', name: 'log_url', length: 2048, nullable: true })
  logUrl: string | null;
}

/** Every callback received, verified or not: the audit trail (bad signatures are kept here and nowhere else). */
@Entity({ name: 'runner_callbacks' })
export class RunnerCallback {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  runner: string;

  @Column({ type: 'varchar', length: 8 })
  kind: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  uid: string | null;

  /** stored, duplicate, unknown-uid, missing-signature, bad-signature, malformed. */
  @Column({ type: 'varchar', length: 24 })
  outcome: string;

  @Column({ type: 'bytea', name: 'raw_body' })
  rawBody: Buffer;

  @Column({ type: 'text', nullable: true })
  signature: string | null;

  @CreateDateColumn({ type: 'timestamptz', name: 'received_at' })
  receivedAt: Date;
}
