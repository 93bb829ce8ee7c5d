import { MigrationInterface, QueryRunner } from 'typeorm';

/** API tokens (hashed) and the audit trail of write requests. */
export class Auth1764050000000 implements MigrationInterface {
  name = 'Auth1764050000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_tokens (
        id varchar(16) PRIMARY KEY,
        name varchar(128) NOT NULL UNIQUE,
        role varchar(16) NOT NULL CHECK (role IN ('viewer','operator','admin')),
        secret_sha256 varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by varchar(128) NOT NULL,
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor varchar(128) NOT NULL,
        method varchar(8) NOT NULL,
        path varchar(1024) NOT NULL,
        status integer NOT NULL,
        remote_address varchar(64)
      )`);
    await q.query(`CREATE INDEX audit_events_at ON audit_events (at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP TABLE api_tokens`);
  }
}
