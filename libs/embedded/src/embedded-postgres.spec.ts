import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createPostgresBackend, withBackend } from 'bullmq';
import { EmbeddedDataDirLockedError, EmbeddedPostgres, LOCK_FILE, startEmbeddedPostgres } from './embedded-postgres';

jest.setTimeout(30000);

describe('startEmbeddedPostgres', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runyard-embedded-'));
  let emb: EmbeddedPostgres;

  beforeAll(async () => {
    emb = await startEmbeddedPostgres({ dataDir });
  });
  afterAll(async () => {
    await emb?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves a pg URL on 127.0.0.1 and keeps the data under <dataDir>/pgdata', async () => {
    expect(emb.url).toMatch(/^postgres:\/\/postgres:postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(fs.existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION'))).toBe(true);
    const c = new Client(emb.url);
    await c.connect();
    const { rows } = await c.query('SELECT $1::int + 1 AS v, current_schema() AS s', [41]);
    expect(rows[0]).toEqual({ v: 42, s: 'public' });
    await c.end();
  });

  it('runs TypeORM raw queries and transactions from a pool of 10 concurrently', async () => {
    const ds = new DataSource({ type: 'postgres', url: emb.url, poolSize: 10 });
    await ds.initialize();
    try {
      await ds.query('CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)');
      await ds.query('INSERT INTO counters VALUES (1, 0)');
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          ds
            .transaction(async (m) => {
              const [{ n }] = await m.query('SELECT n FROM counters WHERE id = 1');
              await m.query('UPDATE counters SET n = $1 WHERE id = 1', [n + 1]);
              if (i % 5 === 0) throw new Error('rollback me');
            })
            .catch((e: Error) => expect(e.message).toBe('rollback me')),
        ),
      );
      // read-modify-write in 30 concurrent transactions, 6 rolled back: no lost update
      expect((await ds.query('SELECT n FROM counters WHERE id = 1'))[0].n).toBe(24);
    } finally {
      await ds.destroy();
    }
  });

  it('keeps transactions of different connections apart; 23505 reaches the client', async () => {
    const a = new Client(emb.url);
    const b = new Client(emb.url);
    await a.connect();
    await b.connect();
    try {
      await a.query('CREATE TABLE tx (v text, active bool)');
      await a.query('CREATE UNIQUE INDEX tx_one_active ON tx (v) WHERE active');
      await a.query('BEGIN');
      await a.query("INSERT INTO tx VALUES ('a', false)");
      let bDone = false;
      const bInsert = b.query("INSERT INTO tx VALUES ('b', true)").then(() => (bDone = true));
      await new Promise((r) => setTimeout(r, 100));
      expect(bDone).toBe(false); // B waits for A's transaction instead of joining it
      await a.query('ROLLBACK');
      await bInsert;
      expect((await a.query('SELECT v FROM tx')).rows).toEqual([{ v: 'b' }]);

      await expect(b.query('INSERT INTO tx VALUES ($1, true)', ['b'])).rejects.toMatchObject({
        code: '23505',
        constraint: 'tx_one_active',
      });
      const r = await b.query("INSERT INTO tx VALUES ('b', true) ON CONFLICT (v) WHERE active DO NOTHING");
      expect(r.rowCount).toBe(0);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('delivers NOTIFY to another connection that LISTENs', async () => {
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
  });

  it('runs a BullMQ job over the PostgreSQL backend and returns its result', async () => {
    const { Queue, Worker, QueueEvents } = withBackend(createPostgresBackend);
    const connection = { connectionString: emb.url, max: 2 };
    const queue = new Queue<{ n: number }, { doubled: number }>('embedded-spec', { connection });
    const events = new QueueEvents('embedded-spec', { connection });
    const pickups: number[] = [];
    const worker = new Worker<{ n: number; at: number }, { doubled: number }>(
      'embedded-spec',
      async (job) => {
        pickups.push(Date.now() - job.data.at);
        return { doubled: job.data.n * 2 };
      },
      { connection },
    );
    try {
      await Promise.all([events.waitUntilReady(), worker.waitUntilReady()]);
      await new Promise((r) => setTimeout(r, 300)); // let the worker go idle (blocked on LISTEN)
      for (const n of [1, 2, 3]) {
        const job = await queue.add('double', { n, at: Date.now() } as {
          n: number;
        });
        await expect(job.waitUntilFinished(events, 5000)).resolves.toEqual({
          doubled: n * 2,
        });
      }
      expect(Math.max(...pickups)).toBeLessThan(1000);
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
    }
  });

  it('refuses a data dir that is in use, by this or another live process', async () => {
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(EmbeddedDataDirLockedError);

    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'runyard-embedded-lock-'));
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const lock = {
        pid: child.pid,
        hostname: os.hostname(),
        startedAt: new Date().toISOString(),
      };
      fs.writeFileSync(path.join(other, LOCK_FILE), JSON.stringify(lock));
      await expect(startEmbeddedPostgres({ dataDir: other })).rejects.toThrow(new RegExp(`in use by process ${child.pid}`));
    } finally {
      child.kill();
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('keeps its data across stop + start, and takes over a stale lock', async () => {
    const c = new Client(emb.url);
    await c.connect();
    await c.query('CREATE TABLE kept (v text)');
    await c.query("INSERT INTO kept VALUES ('survives')");
    await c.end();
    await emb.stop();
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);

    // a lock left behind by a dead process does not block the restart
    const dead = {
      pid: 2 ** 22 + 12345,
      hostname: os.hostname(),
      startedAt: 'earlier',
    };
    fs.writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify(dead));

    emb = await startEmbeddedPostgres({ dataDir });
    const c2 = new Client(emb.url);
    await c2.connect();
    expect((await c2.query('SELECT v FROM kept')).rows).toEqual([{ v: 'survives' }]);
    expect((await c2.query('SELECT count(*)::int AS n FROM bullmq.job')).rows[0].n).toBeGreaterThan(0);
    await c2.end();
  });
});
