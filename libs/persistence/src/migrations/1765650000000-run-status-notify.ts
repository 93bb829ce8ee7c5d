import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change of a run's status is announced on the `runyard_runs` channel (`run <id>`), whichever
 * statement made it: whoever follows the run (a log follow, a command waiting for its end) looks again at
 * once instead of at its next poll.
 */
export class RunStatusNotify1765650000000 implements MigrationInterface {
  name = 'RunStatusNotify1765650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION runyard_run_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('runyard_runs', 'run ' || NEW.id);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER runs_status_changed AFTER UPDATE OF status ON runs
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION runyard_run_status_changed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER runs_status_changed ON runs`);
    await q.query(`DROP FUNCTION runyard_run_status_changed()`);
  }
}
