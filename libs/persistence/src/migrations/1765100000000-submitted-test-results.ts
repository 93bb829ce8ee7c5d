import { MigrationInterface, QueryRunner } from 'typeorm';

/** Test results run elsewhere (POST /api/v1/tests/submit): no kernel image of ours, a log URL per test. */
export class SubmittedTestResults1765100000000 implements MigrationInterface {
  name = 'SubmittedTestResults1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kernel_tests ALTER COLUMN kernel_image_url DROP NOT NULL`);
    await q.query(`ALTER TABLE kernel_test_results ADD COLUMN log_url varchar(2048)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kernel_test_results DROP COLUMN log_url`);
    await q.query(`DELETE FROM kernel_tests WHERE kernel_image_url IS NULL`);
    await q.query(`ALTER TABLE kernel_tests ALTER COLUMN kernel_image_url SET NOT NULL`);
  }
}
