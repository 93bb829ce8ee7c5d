import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A Runner SDK session's name: the id a client chose for it (Flame's `SessionContext.session_id`), or
 * `{application}-{id}` when it chose none; unique within its application. Runyard's numeric id stays
 * the session's identity (object keys, executor credentials, runs); the name only finds it.
 */
export class SdkSessionNames1765630000000 implements MigrationInterface {
  name = 'SdkSessionNames1765630000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sdk_sessions ADD COLUMN name varchar(128)`);
    await q.query(`UPDATE sdk_sessions SET name = application || '-' || id`);
    await q.query(`CREATE UNIQUE INDEX sdk_sessions_name ON sdk_sessions (application, name)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sdk_sessions_name`);
    await q.query(`ALTER TABLE sdk_sessions DROP COLUMN name`);
  }
}
