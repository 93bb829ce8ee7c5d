import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Run policies: attempts and the last error of a retried run, the wall-clock deadline of the attempt
 * and of the wait in the queue, why a run is being stopped (a request or its timeout), and the keys of
 * the concurrency limits it counts against.
 */
export class RunPolicies1765500000000 implements MigrationInterface {
  name = 'RunPolicies1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE runs
        ADD COLUMN attempts integer NOT NULL DEFAULT 1,
        ADD COLUMN last_error text,
        ADD COLUMN deadline_at timestamptz,
        ADD COLUMN queue_deadline_at timestamptz,
        ADD COLUMN not_before timestamptz,
        ADD COLUMN stop_reason varchar(16),
        ADD COLUMN limit_keys text[] NOT NULL DEFAULT '{}'`);
    // Counting the held runs under one limit is a lookup, whatever the size of the history.
    await q.query(`CREATE INDEX runs_held_limit_keys ON runs USING gin (limit_keys) WHERE status IN ('STARTING','ACTIVE','STOPPING')`);
    await q.query(`CREATE INDEX runs_queue_deadline ON runs (queue_deadline_at) WHERE status = 'QUEUED' AND queue_deadline_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX runs_queue_deadline`);
    await q.query(`DROP INDEX runs_held_limit_keys`);
    await q.query(`
      ALTER TABLE runs DROP COLUMN attempts, DROP COLUMN last_error, DROP COLUMN deadline_at, DROP COLUMN queue_deadline_at,
        DROP COLUMN not_before, DROP COLUMN stop_reason, DROP COLUMN limit_keys`);
  }
}
