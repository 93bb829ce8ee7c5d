import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE runs (
        id serial PRIMARY KEY,
        kind varchar(32) NOT NULL,
        expid varchar(64),
        profile_name varchar(128),
        runner varchar(16) NOT NULL,
        module_loader varchar(16) NOT NULL,
        modules jsonb NOT NULL DEFAULT '[]',
        argv jsonb NOT NULL,
        settings jsonb NOT NULL,
        status varchar(16) NOT NULL,
        detail text,
        pid integer,
        host varchar(255),
        worker_id varchar(255),
        exit_code integer,
        result jsonb,
        requested_by varchar(255) NOT NULL,
        stop_force boolean NOT NULL DEFAULT false,
        log_bytes bigint NOT NULL DEFAULT 0,
        log_truncated_bytes bigint NOT NULL DEFAULT 0,
        output_offsets jsonb NOT NULL DEFAULT '{"stdout":0,"stderr":0}',
        created_at timestamptz NOT NULL DEFAULT now(),
        modified_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        heartbeat_at timestamptz,
        stop_requested_at timestamptz,
        CONSTRAINT runs_status_check CHECK (status IN ('QUEUED','STARTING','ACTIVE','STOPPING','COMPLETED','FAILED','TERMINATED','LOST'))
      )`);
    // The database, not a read-then-insert, guarantees one unfinished run per experiment.
    await q.query(`
      CREATE UNIQUE INDEX runs_one_unfinished_per_experiment ON runs (expid)
      WHERE kind = 'run' AND status IN ('QUEUED','STARTING','ACTIVE','STOPPING')`);
    await q.query(`CREATE INDEX runs_expid_id ON runs (expid, id DESC)`);
    await q.query(`CREATE INDEX runs_status_id ON runs (status, id DESC)`);
    await q.query(`CREATE INDEX runs_kind_id ON runs (kind, id DESC)`);
    await q.query(`
      CREATE INDEX runs_unfinished_by_worker ON runs (worker_id)
      WHERE status IN ('QUEUED','STARTING','ACTIVE','STOPPING')`);
    await q.query(`
      CREATE TABLE run_output (
        id bigserial PRIMARY KEY,
        run_id integer NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        stream varchar(6) NOT NULL CHECK (stream IN ('stdout','stderr')),
        data bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX run_output_run_id_id ON run_output (run_id, id)`);
    await q.query(`
      CREATE TABLE profiles (
        name varchar(128) PRIMARY KEY,
        definition jsonb NOT NULL,
        source varchar(1024),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE profiles`);
    await q.query(`DROP TABLE run_output`);
    await q.query(`DROP TABLE runs`);
  }
}
