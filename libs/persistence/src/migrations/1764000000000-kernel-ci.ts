import { MigrationInterface, QueryRunner } from 'typeorm';

/** Kernel builds and tests on runner services (TuxSuite), their per-test results and the callback audit trail. */
export class KernelCi1764000000000 implements MigrationInterface {
  name = 'KernelCi1764000000000';

  async up(q: QueryRunner): Promise<void> {
    const common = `
      state varchar(24) NOT NULL CHECK (state IN ('SCHEDULED','SUBMITTED','FINISHED','SUBMISSION_FAILED')),
      uid varchar(64) UNIQUE,
      result varchar(32),
      callback jsonb,
      error text,
      kcidb_submitted boolean NOT NULL DEFAULT false,
      kcidb_error text,
      requested_by varchar(255) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      submitted_at timestamptz,
      finished_at timestamptz`;
    await q.query(`
      CREATE TABLE kernel_builds (
        id serial PRIMARY KEY,
        runner varchar(32) NOT NULL,
        toolchain varchar(64) NOT NULL,
        arch varchar(32) NOT NULL,
        tree varchar(1024) NOT NULL,
        branch varchar(255) NOT NULL,
        kconfig varchar(1024),
        fragments jsonb NOT NULL DEFAULT '[]',
        kernel_image_url varchar(2048),
        modules_url varchar(2048),
        kernel_version varchar(128),
        ${common}
      )`);
    await q.query(`
      CREATE TABLE kernel_tests (
        id serial PRIMARY KEY,
        kind varchar(8) NOT NULL CHECK (kind IN ('test','boot')),
        runner varchar(32) NOT NULL,
        build_id varchar(255) NOT NULL,
        kernel_image_url varchar(2048) NOT NULL,
        modules_url varchar(2048),
        tests jsonb NOT NULL DEFAULT '[]',
        collection varchar(255),
        device varchar(64) NOT NULL,
        results_stored boolean NOT NULL DEFAULT false,
        log_text text,
        ${common}
      )`);
    await q.query(`
      CREATE TABLE kernel_test_results (
        id bigserial PRIMARY KEY,
        test_id integer NOT NULL REFERENCES kernel_tests(id) ON DELETE CASCADE,
        test varchar(255) NOT NULL,
        result varchar(16) NOT NULL,
        UNIQUE (test_id, test)
      )`);
    await q.query(`
      CREATE TABLE runner_callbacks (
        id bigserial PRIMARY KEY,
        runner varchar(32) NOT NULL,
        kind varchar(8) NOT NULL,
        uid varchar(64),
        outcome varchar(24) NOT NULL,
        raw_body bytea NOT NULL,
        signature text,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX runner_callbacks_uid ON runner_callbacks (uid)`);
    await q.query(`CREATE INDEX kernel_builds_pending_kcidb ON kernel_builds (id) WHERE state = 'FINISHED' AND NOT kcidb_submitted`);
    await q.query(`CREATE INDEX kernel_tests_pending_kcidb ON kernel_tests (id) WHERE results_stored AND NOT kcidb_submitted`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE runner_callbacks`);
    await q.query(`DROP TABLE kernel_test_results`);
    await q.query(`DROP TABLE kernel_tests`);
    await q.query(`DROP TABLE kernel_builds`);
  }
}
