import { createHash } from 'node:crypto';
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
export async function poolRows<T = Record<string, unknown>>(
  db: DataSource,
  sql: string,
  params: unknown[],
  opts: { prepared?: boolean } = {},
): Promise<T[]> {
  if (db.options.logging || !db.isInitialized) return returnedRows<T>(await db.query(sql, params));
  const pool = (db.driver as unknown as { master: Pool }).master;
  if (!opts.prepared) return (await pool.query(sql, params)).rows as T[];
  return (await pool.query({ name: preparedName(sql), text: sql, values: params })).rows as T[];
}

const preparedNames = new Map<string, string>();

/**
 * A hot statement prepared once per connection, under a name its text gives: Postgres then neither parses
 * it again nor, once its generic plan is as good, plans it again (measured on the SDK's statements: about
 * 0.3 ms of Postgres CPU each). Only for statements whose results name their columns: a prepared `SELECT *`
 * or `RETURNING *` fails once its table gained a column (a rolling upgrade's migration).
 */
function preparedName(sql: string): string {
  let name = preparedNames.get(sql);
  if (!name) preparedNames.set(sql, (name = `ry_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`));
  return name;
}

/** What a repository's statements need of a connection: TypeORM's EntityManager and a pooled client both have it. */
export interface Statements {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, params?: unknown[]): Promise<any>;
}

interface PooledClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * A transaction straight on the pool TypeORM keeps (the same hosts, failover and limits), for the hot
 * paths where TypeORM's query runner costs as much as the statements (measured: BEGIN + one statement +
 * COMMIT 281 µs of CPU through TypeORM, 142 µs on the pooled client). Statements answer their rows (through
 * TypeORM an UPDATE … RETURNING answers [rows, count]: read both with returnedRows).
 */
export async function poolTransaction<T>(db: DataSource, fn: (m: Statements) => Promise<T>): Promise<T> {
  // With RUNYARD_LOG_SQL the statements go through TypeORM, to be logged like the others.
  if (db.options.logging || !db.isInitialized) return db.transaction(fn);
  const [client, release] = await (
    db.driver as unknown as { obtainMasterConnection(): Promise<[PooledClient, (e?: unknown) => void]> }
  ).obtainMasterConnection();
  const m: Statements = { query: async (sql, params) => (await client.query(sql, params)).rows };
  try {
    await client.query('BEGIN');
    const out = await fn(m);
    await client.query('COMMIT');
    release();
    return out;
  } catch (e) {
    // A connection that cannot even roll back is broken: the pool drops it instead of handing it out again.
    const broken = await client.query('ROLLBACK').then(
      () => false,
      () => true,
    );
    release(broken ? e : undefined);
    throw e;
  }
}
