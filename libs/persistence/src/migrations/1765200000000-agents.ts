import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Runner agents (hosts that execute runs without queue or database access), the runs handed to them,
 * the short commands sent to where a run executes, and the key push dispatches are signed with.
 */
export class Agents1765200000000 implements MigrationInterface {
  name = 'Agents1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE agents (
        id varchar(64) PRIMARY KEY,
        name varchar(128) NOT NULL,
        tags text[] NOT NULL DEFAULT '{}',
        max_concurrency int NOT NULL DEFAULT 4 CHECK (max_concurrency > 0),
        secret_sha256 varchar(64) NOT NULL,
        secret_created_at timestamptz NOT NULL DEFAULT now(),
        previous_secret_sha256 varchar(64),
        previous_secret_expires_at timestamptz,
        rotate_requested_at timestamptz,
        endpoint text,
        advertised_concurrency int,
        heartbeat_ms int,
        dispatch_signatures boolean NOT NULL DEFAULT false,
        automn_secret text,
        status_message text,
        version varchar(64),
        os varchar(64),
        arch varchar(64),
        runtimes jsonb NOT NULL DEFAULT '{}',
        drain_requested boolean NOT NULL DEFAULT false,
        agent_draining boolean NOT NULL DEFAULT false,
        disabled_at timestamptz,
        last_seen_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by varchar(128) NOT NULL
      )`);
    await q.query(`
      CREATE TABLE agent_assignments (
        run_id int PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        agent_id varchar(64) NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        via varchar(8) NOT NULL,
        state varchar(16) NOT NULL,
        spec jsonb NOT NULL,
        job_token_sha256 varchar(64),
        pid int,
        run_dir text,
        signal varchar(16),
        signal_seq int NOT NULL DEFAULT 0,
        exit_code int,
        exit_signal varchar(16),
        error text,
        result_file bytea,
        accept_deadline timestamptz NOT NULL,
        assigned_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX agent_assignments_active ON agent_assignments (agent_id) WHERE state IN ('assigned', 'accepted', 'running')`,
    );
    await q.query(`
      CREATE TABLE agent_commands (
        id bigserial PRIMARY KEY,
        run_id int NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        agent_id varchar(64) NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        argv jsonb NOT NULL,
        stdin text,
        timeout_ms int NOT NULL,
        state varchar(16) NOT NULL DEFAULT 'pending',
        exit_code int,
        exit_signal varchar(16),
        output text,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX agent_commands_pending ON agent_commands (agent_id) WHERE state = 'pending'`);
    await q.query(`
      CREATE TABLE agent_dispatch_key (
        id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        private_key text NOT NULL,
        public_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE agent_dispatch_key`);
    await q.query(`DROP TABLE agent_commands`);
    await q.query(`DROP TABLE agent_assignments`);
    await q.query(`DROP TABLE agents`);
  }
}
