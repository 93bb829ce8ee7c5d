import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The newest poll number each pull agent sent: a poll it has since replaced (ended when a slot
 * freed, its handler still running, maybe in another API process) hands out nothing, so it cannot
 * replace the job tokens its newer poll handed out.
 */
export class AgentPollSeq1765660000000 implements MigrationInterface {
  name = 'AgentPollSeq1765660000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE agents ADD COLUMN poll_seq bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE agents DROP COLUMN poll_seq`);
  }
}
