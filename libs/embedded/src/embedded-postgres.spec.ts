import * as fs from 'node:fs';
import { connect } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createPostgresBackend, withBackend } from 'bullmq';
import { EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';
import { EmbeddedDataDirLockedError, LOCK_FILE, processAlive } from './data-dir-lock';
import { CONNECTION_FILE } from './connection-file';
import { SERVER_USER } from './server-account';

jest.setTimeout(60_000);

const asRoot = process.getuid?.() === 0;

/** A data directory the server's user can reach even when we are root (mkdtemp makes it 0700). */
function dataDirectory(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runyard-embedded-'));
  fs.chmodSync(dir, 0o755);
  return path.join(dir, 'data');
}

function removeDataDirectory(dataDir: string): void {
  fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
}

function otherAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

describe('startEmbeddedPostgres', () => {
  const dataDir = dataDirectory();
  let emb: EmbeddedPostgres;

  beforeAll(async () => {
    emb = await startEmbeddedPostgres({ dataDir });
  });
  afterAll(async () => {
    await emb?.stop();
    removeDataDirectory(dataDir);
  });

  it('runs PostgreSQL 18 with its data in <dataDir>/postgres, reachable on 127.0.0.1 only', async () => {
    expect(emb.initialised).toBe(true);
    expect(emb.url).toMatch(/^postgres:\/\/runyard:[0-9a-f]{48}@127\.0\.0\.1:\d+\/postgres$/);
    expect(fs.readFileSync(path.join(dataDir, 'postgres', 'PG_VERSION'), 'utf8').trim()).toBe('18');
    const c = new Client(emb.url);
    await c.connect();
    const { rows } = await c.query(
      `SELECT current_setting('server_version_num')::int / 10000 AS major, current_setting('listen_addresses') AS listen,
              current_setting('unix_socket_directories') AS sockets, current_setting('data_directory') AS data`,
    );
    await c.end();
    expect(rows[0]).toEqual({ major: 18, listen: '127.0.0.1', sockets: '', data: path.join(dataDir, 'postgres') });

    const address = otherAddress();
    if (address) {
      const refused = await new Promise<string>((resolve) => {
        const s = connect(emb.port, address);
        s.once('connect', () => (s.destroy(), resolve('connected')));
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
    }
  });

  it('keeps the password to the user who runs Runyard, and takes no login without it', async () => {
    const file = path.join(dataDir, CONNECTION_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ user: 'runyard', port: emb.port });
    const cluster = fs.statSync(path.join(dataDir, 'postgres'));
    expect(cluster.mode & 0o777).toBe(0o700);
    for (const password of ['', 'wrong']) {
      const c = new Client({ host: '127.0.0.1', port: emb.port, user: 'runyard', database: 'postgres', password });
      await expect(c.connect()).rejects.toThrow(/password/);
      await c.end().catch(() => undefined);
    }
    const other = new Client({ host: '127.0.0.1', port: emb.port, user: 'postgres', database: 'postgres', password: 'x' });
    await expect(other.connect()).rejects.toThrow(/no pg_hba.conf entry|password/);
    await other.end().catch(() => undefined);
  });

  (asRoot ? it : it.skip)('runs the server as its own system user when Runyard is root', async () => {
    const owner = fs.statSync(path.join(dataDir, 'postgres')).uid;
    expect(owner).not.toBe(0);
    const status = fs.readFileSync(`/proc/${emb.pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${owner}\\s`, 'm'));
    expect(fs.readFileSync('/etc/passwd', 'utf8')).toMatch(new RegExp(`^${SERVER_USER}:x:${owner}:`, 'm'));
  });

  it('serves many connections at once: concurrent transactions lose no update', async () => {
    const ds = new DataSource({ type: 'postgres', url: emb.url, poolSize: 10 });
    await ds.initialize();
    try {
      await ds.query('CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)');
      await ds.query('INSERT INTO counters VALUES (1, 0)');
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          ds
            .transaction(async (m) => {
              await m.query('UPDATE counters SET n = n + 1 WHERE id = 1');
              if (i % 5 === 0) throw new Error('rollback me');
            })
            .catch((e: Error) => expect(e.message).toBe('rollback me')),
        ),
      );
      expect((await ds.query('SELECT n FROM counters WHERE id = 1'))[0].n).toBe(24);
      expect(Number((await ds.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend'`))[0].n)).toBe(10);
    } finally {
      await ds.destroy();
    }
  });

  it('delivers NOTIFY to another connection, and runs a BullMQ job on the PostgreSQL backend', async () => {
    const listener = new Client(emb.url);
    const notifier = new Client(emb.url);
    await listener.connect();
    await notifier.connect();
    try {
      await listener.query('LISTEN run_stop');
      const got = new Promise<string | undefined>((resolve) => listener.on('notification', (m) => resolve(m.payload)));
      await notifier.query("SELECT pg_notify('run_stop', '17')");
      await expect(got).resolves.toBe('17');
    } finally {
      await listener.end();
      await notifier.end();
    }

    const { Queue, Worker, QueueEvents } = withBackend(createPostgresBackend);
    const connection = { connectionString: emb.url, migrate: true, max: 2 };
    const queue = new Queue<{ n: number }, { doubled: number }>('embedded-spec', { connection });
    const events = new QueueEvents('embedded-spec', { connection });
    const worker = new Worker<{ n: number }, { doubled: number }>('embedded-spec', async (job) => ({ doubled: job.data.n * 2 }), {
      connection,
    });
    try {
      await Promise.all([events.waitUntilReady(), worker.waitUntilReady()]);
      const job = await queue.add('double', { n: 21 });
      await expect(job.waitUntilFinished(events, 10_000)).resolves.toEqual({ doubled: 42 });
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
    }
  });

  it('refuses a data dir that is in use, by this or another live process', async () => {
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(EmbeddedDataDirLockedError);

    const other = dataDirectory();
    fs.mkdirSync(other);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(path.join(other, LOCK_FILE), JSON.stringify({ pid: child.pid, hostname: os.hostname(), startedAt: 'now' }));
      await expect(startEmbeddedPostgres({ dataDir: other })).rejects.toThrow(new RegExp(`in use by process ${child.pid}`));
      expect(fs.existsSync(path.join(other, 'postgres'))).toBe(false);
    } finally {
      child.kill();
      removeDataDirectory(other);
    }
  });

  it('keeps its data across stop and start, on the same port, and takes over a stale lock', async () => {
    const c = new Client(emb.url);
    await c.connect();
    await c.query('CREATE TABLE kept (v text)');
    await c.query("INSERT INTO kept VALUES ('survives')");
    await c.end();
    const { port, pid } = emb;
    await emb.stop();
    expect(processAlive(pid)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

    fs.writeFileSync(
      path.join(dataDir, LOCK_FILE),
      JSON.stringify({ pid: 2 ** 22 + 12345, hostname: os.hostname(), startedAt: 'earlier' }),
    );
    emb = await startEmbeddedPostgres({ dataDir });
    expect(emb.initialised).toBe(false);
    expect(emb.port).toBe(port);
    const c2 = new Client(emb.url);
    await c2.connect();
    expect((await c2.query('SELECT v FROM kept')).rows).toEqual([{ v: 'survives' }]);
    await c2.end();
  });

  it('shuts down a server that a killed Runyard left running, and starts its own', async () => {
    const left = emb;
    // What a SIGKILL leaves: the server runs on, the lock names a process that is gone.
    fs.writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12346, hostname: os.hostname(), startedAt: 'killed' }));
    emb = await startEmbeddedPostgres({ dataDir });
    expect(emb.replacedLeftover).toBe(left.pid);
    expect(emb.pid).not.toBe(left.pid);
    expect(processAlive(left.pid)).toBe(false);
    const c = new Client(emb.url);
    await c.connect();
    expect((await c.query('SELECT v FROM kept')).rows).toEqual([{ v: 'survives' }]);
    await c.end();
    await left.stop(); // nothing left to stop; must not release the new owner's lock
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(true);
  });

  it('stops the server and frees the directory when the start fails', async () => {
    const broken = dataDirectory();
    const first = await startEmbeddedPostgres({ dataDir: broken });
    await first.stop();
    const file = path.join(broken, CONNECTION_FILE);
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), password: 'not-the-one' }), { mode: 0o600 });
    try {
      await expect(startEmbeddedPostgres({ dataDir: broken })).rejects.toThrow(/refuses Runyard's login/);
      expect(fs.existsSync(path.join(broken, 'postgres', 'postmaster.pid'))).toBe(false);
      expect(fs.existsSync(path.join(broken, LOCK_FILE))).toBe(false);
    } finally {
      removeDataDirectory(broken);
    }
  });

  (asRoot ? it : it.skip)('as root, refuses a data dir its server user cannot reach, saying why', async () => {
    const hidden = fs.mkdtempSync(path.join(os.tmpdir(), 'runyard-private-')); // 0700, root's
    try {
      await expect(startEmbeddedPostgres({ dataDir: path.join(hidden, 'data') })).rejects.toThrow(
        new RegExp(`runs as the user ${SERVER_USER}, who may not enter ${hidden}`),
      );
    } finally {
      fs.rmSync(hidden, { recursive: true, force: true });
    }
  });
});
