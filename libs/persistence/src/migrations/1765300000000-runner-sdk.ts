import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Runner SDK: content-addressed packages, applications registered on them, sessions (a service
 * and the executors serving it, each a run), their calls in submission order, and the objects
 * (call results, service state) under Flame's keys `{app}/{session}/{uuid}`.
 */
export class RunnerSdk1765300000000 implements MigrationInterface {
  name = 'RunnerSdk1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sdk_packages (
        sha256 char(64) PRIMARY KEY,
        size bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE sdk_applications (
        name varchar(64) PRIMARY KEY,
        package_sha char(64) NOT NULL REFERENCES sdk_packages (sha256),
        runtime varchar(8) NOT NULL,
        profile_name varchar(128) NOT NULL,
        workdir varchar(1024),
        created_by varchar(255) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        lease_expires_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE sdk_sessions (
        id bigserial PRIMARY KEY,
        application varchar(64) NOT NULL REFERENCES sdk_applications (name) ON DELETE CASCADE,
        kind varchar(16) NOT NULL,
        ordered boolean NOT NULL,
        replicas int NOT NULL,
        service jsonb NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'open',
        detail text,
        next_seq bigint NOT NULL DEFAULT 0,
        state_version int NOT NULL DEFAULT 0,
        executor_id uuid,
        restarts int NOT NULL DEFAULT 0,
        created_by varchar(255) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz
      )`);
    await q.query(`CREATE INDEX sdk_sessions_application ON sdk_sessions (application)`);
    await q.query(`CREATE INDEX sdk_sessions_open ON sdk_sessions (id) WHERE status = 'open'`);
    await q.query(`
      CREATE TABLE sdk_executors (
        id uuid PRIMARY KEY,
        session_id bigint NOT NULL REFERENCES sdk_sessions (id) ON DELETE CASCADE,
        run_id int,
        token_sha256 char(64) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'starting',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX sdk_executors_session ON sdk_executors (session_id)`);
    await q.query(`
      CREATE TABLE sdk_calls (
        id bigserial PRIMARY KEY,
        session_id bigint NOT NULL REFERENCES sdk_sessions (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        method varchar(128) NOT NULL,
        args bytea,
        args_key varchar(256),
        refs text[] NOT NULL DEFAULT '{}',
        result_key varchar(256) NOT NULL UNIQUE,
        state varchar(16) NOT NULL DEFAULT 'pending',
        executor_id uuid,
        attempt int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        UNIQUE (session_id, seq)
      )`);
    await q.query(`CREATE INDEX sdk_calls_pending ON sdk_calls (session_id, seq) WHERE state = 'pending'`);
    await q.query(`CREATE INDEX sdk_calls_running ON sdk_calls (executor_id) WHERE state = 'running'`);
    await q.query(`
      CREATE TABLE sdk_objects (
        key varchar(256) PRIMARY KEY,
        application varchar(64) NOT NULL,
        session_id bigint,
        version int NOT NULL DEFAULT 0,
        state varchar(16) NOT NULL,
        codec varchar(16),
        size bigint,
        inline bytea,
        blob varchar(512),
        error jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX sdk_objects_application ON sdk_objects (application)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['sdk_objects', 'sdk_calls', 'sdk_executors', 'sdk_sessions', 'sdk_applications', 'sdk_packages']) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
