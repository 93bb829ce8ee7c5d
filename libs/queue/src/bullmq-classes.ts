import type * as BullMQ from 'bullmq';

/*
 * The BullMQ classes Runyard's queues and workers use, each from its own file: the package's index also loads
 * its PostgreSQL backend, its Bun, node-redis and Valkey GLIDE clients and its flows, ~1 MiB of every worker's
 * memory. The same package and classes as the index's; the PostgreSQL backend (no REDIS_URL) is loaded when
 * first asked for.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- files of BullMQ's CommonJS build */
type Of<K extends keyof typeof BullMQ> = Pick<typeof BullMQ, K>;
const from = (file: string): unknown => require(`bullmq/dist/cjs/${file}`);

export const { Queue } = from('classes/queue') as Of<'Queue'>;
export const { Worker } = from('classes/worker') as Of<'Worker'>;
export const { DelayedError, UnrecoverableError } = from('classes/errors') as Of<'DelayedError' | 'UnrecoverableError'>;

/** Queue and Worker on BullMQ's PostgreSQL backend. */
export function onPostgres() {
  const { createPostgresBackend } = from('postgres/create-postgres-backend') as Of<'createPostgresBackend'>;
  const { withBackend } = from('utils/with-backend') as Of<'withBackend'>;
  return withBackend(createPostgresBackend);
}
