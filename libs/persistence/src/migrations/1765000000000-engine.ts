import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The runner's target moves from `settings.ssh` to the runner-neutral `settings.target`; the database
 * gets an identity of its own, so queue job ids are never reused when it is recreated and Redis is not.
 */
export class Engine1765000000000 implements MigrationInterface {
  name = 'Engine1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE runs SET settings = (settings - 'ssh') || jsonb_build_object('target', settings -> 'ssh') WHERE settings ? 'ssh'`,
    );
    await q.query(
      `CREATE TABLE runyard_instance (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), created_at timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query(`INSERT INTO runyard_instance DEFAULT VALUES`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE runyard_instance`);
    await q.query(
      `UPDATE runs SET settings = (settings - 'target') || jsonb_build_object('ssh', settings -> 'target') WHERE settings ? 'target'`,
    );
  }
}
