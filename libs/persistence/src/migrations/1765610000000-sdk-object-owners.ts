import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Runner SDK objects record the token that created them, as applications and sessions do (by the
 * token's name, unique and never reused): operators may change only what is theirs. Existing objects
 * are their application's owner's.
 */
export class SdkObjectOwners1765610000000 implements MigrationInterface {
  name = 'SdkObjectOwners1765610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sdk_objects ADD COLUMN created_by varchar(255)`);
    await q.query(`UPDATE sdk_objects o SET created_by = a.created_by FROM sdk_applications a WHERE a.name = o.application`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sdk_objects DROP COLUMN created_by`);
  }
}
