import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A schedule fires with its owner's identity: the token that created (or last resumed) it, and why
 * it was paused when Runyard paused it (that token revoked, or without the role any more).
 */
export class ScheduleOwner1765620000000 implements MigrationInterface {
  name = 'ScheduleOwner1765620000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE schedules ADD COLUMN owner_token_id varchar(16), ADD COLUMN paused_reason text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE schedules DROP COLUMN owner_token_id, DROP COLUMN paused_reason`);
  }
}
