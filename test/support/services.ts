import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The machine's services the end-to-end tests use (see README: PostgreSQL and Redis on loopback). */
export const POSTGRES_ADMIN_URL = process.env.RUNYARD_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_BASE_URL = process.env.RUNYARD_TEST_REDIS ?? 'redis://127.0.0.1:6379';

/** A fresh database per suite, so suites never see each other's runs. */
export async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `runyard_e2e_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The suite's Redis: shared, with a key prefix of its own (QUEUE_PREFIX), so suites never see each other's jobs. */
export function redisForSuite(): { url: string; prefix: string } {
  return { url: `${REDIS_BASE_URL}/9`, prefix: `runyard-e2e-${randomBytes(4).toString('hex')}` };
}
