import { MigrationInterface, QueryRunner } from 'typeorm';

/** Runs remember where their runner keeps pid, output and exit status (needed to re-attach on another worker). */
export class RunDir1763950000000 implements MigrationInterface {
  name = 'RunDir1763950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs ADD COLUMN run_dir varchar(1024)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE runs DROP COLUMN run_dir`);
  }
}
