/*
 * Embedded-database mode: PGlite (a single-session WASM Postgres) persisted under
 * `<dataDir>/pgdata`, served on 127.0.0.1 by our own wire-protocol multiplexer
 * (pglite-mux-server.ts), so TypeORM and BullMQ connect with ordinary `pg` connection strings.
 *
 * What works over the socket (measured by embedded-postgres.spec.ts and scratch runs, PGlite
 * 0.5.16 / bullmq 6.7.0 / pg 8.23 / typeorm 1.1, Node 20):
 *  - Queries and transactions from a pg Pool of 10 issued concurrently: all correct, including
 *    2 MB parameters mixed with small queries and named prepared statements of the same name
 *    on two clients. Everything runs one statement batch at a time (PGlite has one backend), so
 *    a pool buys no parallelism; it only lets callers queue.
 *  - Transaction isolation: while client A is inside BEGIN ... COMMIT/ROLLBACK, the other
 *    clients WAIT (they are not run inside A's transaction). BEGIN on A, INSERT on B (blocks),
 *    ROLLBACK on A -> B's INSERT then runs and its row survives. An aborted transaction (error
 *    after BEGIN) also holds the others until A's ROLLBACK. A client that disconnects inside a
 *    transaction is rolled back.
 *  - Unique / partial unique indexes: violations arrive as a normal ErrorResponse, code 23505
 *    with the constraint name; INSERT ... ON CONFLICT ... DO NOTHING works.
 *  - LISTEN/NOTIFY between separate pg.Clients: works (NOTIFY and pg_notify(), ~1 ms), because
 *    our server routes NotificationResponse messages to the clients that issued LISTEN.
 *    (With @electric-sql/pglite-socket's PGLiteSocketServer it does NOT work: the notification
 *    goes back to the notifying client, and BullMQ workers then only see jobs when they poll.)
 *  - BullMQ's PostgreSQL backend: Queue.add, Worker processing with a return value,
 *    job.waitUntilFinished(queueEvents) and QueueEvents 'completed'. Pick-up latency of an idle
 *    worker with DEFAULT worker options: 3-15 ms (first job up to ~40 ms), NOTIFY-driven; no
 *    polling option is needed. (Over stock pglite-socket it was 4.0-4.3 s, i.e. the default
 *    drainDelay of 5 s; drainDelay: 0.2 brought it to ~30-140 ms.) 50 jobs added at once: all
 *    done in ~250 ms.
 *  - Startup: first start (initdb + BullMQ migrations) 3.3-6.4 s; restart of an existing data
 *    dir 0.25-0.5 s. PGlite runs in a worker thread (pglite-worker-host.ts), so its synchronous
 *    WASM execution does not block the app's event loop.
 *
 * Limitations (inherent to PGlite being ONE session shared by every connection):
 *  - A long transaction stalls every other connection (TypeORM, BullMQ workers, lock renewals)
 *    until it ends; a transaction left open by a leaked/idle client stalls them forever. Never
 *    await work on another connection from inside a transaction (deadlock).
 *  - Session state is shared: SET/RESET, search_path, session advisory locks (pg_advisory_lock
 *    on two connections BOTH succeed - they do not exclude), temp tables, application_name
 *    (BullMQ getWorkers() shows at most one name), pg_stat_activity. Startup parameters such as
 *    `options=-c search_path=...` (which BullMQ uses to pin its schema) are ignored, hence
 *    `ALTER DATABASE postgres SET search_path = public, bullmq` below (+ SET for the live session).
 *    `public` first so the app's unqualified CREATE TABLE / queries land in `public` exactly as
 *    on a real server (with `bullmq, public` they silently went into schema `bullmq`). BullMQ's
 *    unqualified runtime SQL then resolves through `public` first, so `public` must never hold
 *    objects named like BullMQ's: job, job_log, job_dependency, event, metrics, meta,
 *    migration, rate_limit, dedup, dedup_next, scheduler, relay_*, nor functions like add_job,
 *    move_to_active (verified: a full BullMQ add/process/events run creates nothing in public).
 *  - CancelRequest (query cancel / statement_timeout from the client side) is not supported;
 *    COPY FROM STDIN untested. One process only (lock file below); throughput is that of a
 *    single WASM backend.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { runMigrations } from 'bullmq';
import { PGliteMuxServer } from './pglite-mux-server';
import { PGliteWorkerHost } from './pglite-worker-host';

export interface EmbeddedPostgresOptions {
  /** Directory holding the database (`<dataDir>/pgdata`) and the lock file; created if missing. */
  dataDir: string;
  /** TCP port; 0 (default) = a free port chosen by the OS. */
  port?: number;
  /** Bind address, default 127.0.0.1. */
  host?: string;
  /** Maximum simultaneous client connections (default 64). */
  maxConnections?: number;
  /** Run BullMQ's PostgreSQL migrations (schema `bullmq`) on start; default true. */
  bullmqMigrations?: boolean;
}

export interface EmbeddedPostgres {
  /** postgres://postgres:postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** ms from the call to ready (PGlite open + server + migrations). */
  startupMs: number;
  /** Connection counters of the socket server. */
  stats(): ReturnType<PGliteMuxServer['stats']>;
  /** Closes client connections, the server and PGlite (flushes to disk), then frees the lock. */
  stop(): Promise<void>;
}

export const EMBEDDED_DB_NAME = 'postgres';
/** `public` first: app tables stay in public; BullMQ's names resolve to schema bullmq. */
export const EMBEDDED_SEARCH_PATH = 'public, bullmq';
export const LOCK_FILE = 'runyard.lock';

interface LockInfo {
  pid: number;
  hostname: string;
  startedAt: string;
}

/** Thrown when the data directory is in use by another running process (or this one). */
export class EmbeddedDataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockInfo,
  ) {
    super(
      `Embedded database directory ${dataDir} is in use by process ${holder.pid} on ${holder.hostname} ` +
        `(since ${holder.startedAt}). PGlite is single-process: stop that process, or point ` +
        `RUNYARD_DATA_DIR elsewhere, or set DATABASE_URL/REDIS_URL to use a real server. ` +
        `If no such process exists, delete ${path.join(dataDir, LOCK_FILE)}.`,
    );
    this.name = 'EmbeddedDataDirLockedError';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<dataDir>/runyard.lock` (O_EXCL), replacing it only when its process is gone. */
async function acquireLock(dataDir: string): Promise<() => void> {
  const file = path.join(dataDir, LOCK_FILE);
  const mine: LockInfo = {
    pid: process.pid,
    hostname: os.hostname(),
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, JSON.stringify(mine) + '\n');
      fs.closeSync(fd);
      return () => {
        try {
          const cur = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
          if (cur.pid === mine.pid && cur.startedAt === mine.startedAt) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: LockInfo | undefined;
    try {
      holder = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    } catch {
      holder = undefined; // unreadable / half-written: treat as stale only if it stays so
    }
    if (holder && typeof holder.pid === 'number') {
      const sameHost = holder.hostname === os.hostname();
      // another host: we cannot check its pid, refuse
      if (!sameHost || pidAlive(holder.pid)) throw new EmbeddedDataDirLockedError(dataDir, holder);
    } else if (attempt === 0) {
      // maybe being written right now by a concurrent starter
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    fs.rmSync(file, { force: true }); // stale lock of a dead process
  }
  throw new Error(`Could not acquire ${file}`);
}

/**
 * Starts PGlite on `<dataDir>/pgdata` and serves it on a local TCP socket. Refuses
 * (EmbeddedDataDirLockedError) when the directory is held by another running process.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const t0 = Date.now();
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(path.join(dataDir, 'pgdata'), { recursive: true });
  const release = await acquireLock(dataDir);
  let db: PGliteWorkerHost | undefined;
  let server: PGliteMuxServer | undefined;
  try {
    db = await PGliteWorkerHost.open(path.join(dataDir, 'pgdata'));
    // The one PGlite session is shared by all socket clients: SET applies to all of them now,
    // ALTER DATABASE makes it stick across restarts (startup `options` are ignored).
    await db.exec(`ALTER DATABASE ${EMBEDDED_DB_NAME} SET search_path = ${EMBEDDED_SEARCH_PATH}`);
    await db.exec(`SET search_path = ${EMBEDDED_SEARCH_PATH}`);
    server = new PGliteMuxServer({
      db,
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? 0,
      maxConnections: opts.maxConnections ?? 64,
    });
    await server.start();
    const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
    const url = `postgres://postgres:postgres@${host}:${server.port}/${EMBEDDED_DB_NAME}`;
    if (opts.bullmqMigrations !== false) {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await runMigrations(client);
      } finally {
        await client.end();
      }
      // migrations SET LOCAL their own search_path; make sure the session one is intact
      await db.exec(`SET search_path = ${EMBEDDED_SEARCH_PATH}`);
    }
    const srv = server;
    const pglite = db;
    let stopping: Promise<void> | undefined;
    return {
      url,
      port: server.port,
      startupMs: Date.now() - t0,
      stats: () => srv.stats(),
      stop: () =>
        (stopping ??= (async () => {
          try {
            await srv.stop();
            await pglite.close();
          } finally {
            release();
          }
        })()),
    };
  } catch (e) {
    await server?.stop().catch(() => undefined);
    await db?.close().catch(() => undefined);
    release();
    throw e;
  }
}
