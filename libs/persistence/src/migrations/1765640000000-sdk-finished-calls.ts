import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A session's finished calls by sequence number: a client waiting for a burst of calls finds those that
 * finished since it last looked without reading the ones still pending or running.
 */
export class SdkFinishedCalls1765640000000 implements MigrationInterface {
  name = 'SdkFinishedCalls1765640000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX sdk_calls_finished ON sdk_calls (session_id, seq) WHERE state IN ('done', 'failed', 'cancelled')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX sdk_calls_finished`);
  }
}
