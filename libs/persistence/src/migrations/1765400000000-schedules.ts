import { MigrationInterface, QueryRunner } from 'typeorm';

/** Cron schedules of runs and their recent fires; a schedule's fires go with it. */
export class Schedules1765400000000 implements MigrationInterface {
  name = 'Schedules1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE schedules (
        name varchar(64) PRIMARY KEY,
        cron varchar(128) NOT NULL,
        timezone varchar(64) NOT NULL,
        expid varchar(64) NOT NULL,
        profile_name varchar(128) NOT NULL,
        profile_params jsonb,
        overlap varchar(8) NOT NULL CHECK (overlap IN ('skip', 'queue')),
        paused boolean NOT NULL DEFAULT false,
        fires int NOT NULL DEFAULT 0,
        skips int NOT NULL DEFAULT 0,
        last_fire_at timestamptz,
        last_run_id int,
        last_skip_at timestamptz,
        last_skip_reason text,
        waiting_since timestamptz,
        created_by varchar(255) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE schedule_fires (
        id bigserial PRIMARY KEY,
        schedule_name varchar(64) NOT NULL REFERENCES schedules (name) ON DELETE CASCADE,
        at timestamptz NOT NULL DEFAULT now(),
        outcome varchar(16) NOT NULL,
        run_id int,
        detail text
      )`);
    await q.query(`CREATE INDEX schedule_fires_newest ON schedule_fires (schedule_name, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE schedule_fires`);
    await q.query(`DROP TABLE schedules`);
  }
}
