import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** TypeORM answers an UPDATE … RETURNING on Postgres as [rows, count]. */
export const returnedRows = <T>(result: unknown): T[] => (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : (result as T[]));

/**
 * The rows of one statement, run straight on the pool TypeORM holds: on a hot path, TypeORM's query
 * runner (made, connected, broadcast to and released for each statement) costs more than the
 * statement. With RUNYARD_LOG_SQL the statement goes through TypeORM, to be logged like the others.
 * A DataSource not (or no longer) connected answers TypeORM's error too. No transaction: for statements
 * that stand alone.
 */
export async function poolRows<T = Record<string, unknown>>(db: DataSource, sql: string, params: unknown[]): Promise<T[]> {
  if (db.options.logging || !db.isInitialized) return returnedRows<T>(await db.query(sql, params));
  const pool = (db.driver as unknown as { master: Pool }).master;
  return (await pool.query(sql, params)).rows as T[];
}
