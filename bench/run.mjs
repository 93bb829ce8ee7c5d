#!/usr/bin/env node
// Runyard's benchmark (issue 6): each scenario next to its baseline, in the same run, against the
// machine's real Postgres and Redis. Build first (`npm run build`), then:
//
//   node bench/run.mjs            the full benchmark (about 10-15 minutes on 2 CPUs)
//   node bench/run.mjs --quick    everything tiny, under a minute; asserts nothing about times (CI)
//   options: --only=accept,dispatch,drain,output,history,embedded   --reps=N   --keep
//            --merge   replace only this run's scenarios in the results file
//            --drain-runs=N --workers=1,2   (drain sizes)
//            --profile   CPU profiles of Runyard's processes into bench/results/profiles/, with the
//                        heaviest functions by self time in the results
//
// Prints a table and writes bench/results/latest.json (machine, commit, every figure). Every
// process, database, Redis db and temporary directory it creates it removes again. Loopback only.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import IORedis from 'ioredis';
import pg from 'pg';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');
// The built Runyard under test: this checkout's dist/, or another checkout's (RUNYARD_BENCH_ROOT), e.g. a
// clean export of a commit while this work tree is being edited and rebuilt.
const APP_ROOT = resolve(process.env.RUNYARD_BENCH_ROOT ?? ROOT);
const API_MAIN = join(APP_ROOT, 'dist', 'apps', 'api', 'main.js');
const WORKER_MAIN = join(APP_ROOT, 'dist', 'apps', 'worker', 'main.js');
/** A worker is started as `npm run start:worker` of the checkout benchmarked starts it: its Node flags. */
const WORKER_NODE_FLAGS = JSON.parse(fs.readFileSync(join(APP_ROOT, 'package.json'), 'utf8'))
  .scripts['start:worker'].split(' ')
  .filter((a) => a.startsWith('--'));
/** An admin token Runyard creates at start-up (RUNYARD_BOOTSTRAP_TOKEN) where it has API tokens; sent with every request. */
const TOKEN = `bench-${randomBytes(12).toString('hex')}`;
const AUTH_HEADER = { authorization: `Bearer ${TOKEN}` };
const POSTGRES_ADMIN_URL = process.env.RUNYARD_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = `${process.env.RUNYARD_BENCH_REDIS ?? 'redis://127.0.0.1:6379'}/${process.env.RUNYARD_BENCH_REDIS_DB ?? '12'}`;

// ---------------------------------------------------------------------------------------------------
// Options and sizes

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const QUICK = flag('quick');
const PROFILE = flag('profile');
const KEEP = flag('keep');
const MERGE = flag('merge');
const SCENARIOS = ['accept', 'dispatch', 'drain', 'output', 'history', 'embedded'];
const ONLY = opt('only') ? opt('only').split(',') : SCENARIOS;
for (const s of ONLY) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (${SCENARIOS.join(', ')})`);
const MiB = 1024 * 1024;

const SIZES = QUICK
  ? {
      reps: 1,
      accept: { connections: 64, amount: 200, warmupAmount: 64 },
      dispatch: { rate: 50, runs: 25 },
      drain: { runs: 100, workers: [1, 2], concurrency: 16, deadlineMs: 30_000 },
      output: { bytes: 5 * MiB, caps: [1 * MiB, 8 * MiB], reps: 1 },
      history: { rows: 10_000, expids: 200, queries: 60 },
      embedded: { connections: 64, amount: 200, drainRuns: 100, deadlineMs: 30_000, reps: 1 },
    }
  : {
      reps: 3,
      accept: { connections: 64, duration: 10, warmup: 2 },
      dispatch: { rate: 50, runs: 500 },
      drain: { runs: 5000, workers: [1, 2], concurrency: 16, deadlineMs: 180_000, reps: 2 },
      output: { bytes: 200 * MiB, caps: [10 * MiB, 256 * MiB], reps: 2 },
      history: { rows: 1_000_000, expids: 10_000, queries: 400 },
      embedded: { connections: 64, duration: 10, drainRuns: 2000, deadlineMs: 60_000, reps: 1 },
    };
const REPS = Number(opt('reps') ?? SIZES.reps);
if (opt('drain-runs')) SIZES.drain.runs = Number(opt('drain-runs'));
if (opt('workers')) SIZES.drain.workers = opt('workers').split(',').map(Number);

// ---------------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const round = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? x : Math.round(x * 10 ** d) / 10 ** d);
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

/** Wall clock in ms with sub-ms resolution (the stamp script records $EPOCHREALTIME). */
let wallOffset = 0;
function calibrateWall() {
  const d0 = Date.now();
  let d;
  while ((d = Date.now()) === d0);
  wallOffset = d - performance.now();
}
const wallNow = () => wallOffset + performance.now();

let expSeq = 36 ** 3; // "1000": 4 characters from the start
/** A fresh 4-character expid ([a-z0-9]{4}), never repeated within a benchmark run. */
function nextExpid() {
  if (expSeq >= 36 ** 4) throw new Error('expids exhausted');
  return (expSeq++).toString(36);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
function request(method, url, body) {
  return new Promise((resolvePromise, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: { ...AUTH_HEADER, ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) },
        timeout: 60_000,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolvePromise({ status: res.statusCode, json, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` in flight. */
async function pool(n, concurrency, fn) {
  const out = new Array(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, lane));
  return out;
}

async function until(what, deadlineMs, fn, everyMs = 100) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

function procStatus(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(text.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
  } catch {
    return { rssMiB: NaN, hwmMiB: NaN };
  }
}

/**
 * A process's name and CPU ms from /proc (clock ticks of 10 ms): its own (`self`) and that of the
 * children it has waited for; null when it is gone. The name may hold spaces and parentheses.
 */
function procStat(pid) {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the name: utime, stime, cutime, cstime are the 12th to the 15th.
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return {
      name: st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')),
      self: (Number(f[11]) + Number(f[12])) * 10,
      children: (Number(f[13]) + Number(f[14])) * 10,
    };
  } catch {
    return null;
  }
}
const procTimes = (pid) => procStat(pid) ?? { self: NaN, children: NaN };

function childPids(pid) {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/** CPU ms used so far by the machine's PostgreSQL and Redis processes (the shared services). */
function serviceCpuMs() {
  const t = { postgres: 0, redis: 0 };
  for (const d of fs.readdirSync('/proc')) {
    const p = /^\d+$/.test(d) ? procStat(d) : null; // null too when it is gone meanwhile
    if (p?.name.startsWith('postgres')) t.postgres += p.self;
    else if (p?.name.startsWith('redis')) t.redis += p.self;
  }
  return t;
}

/**
 * Where a drain's CPU goes: the API, the workers, their spawn helpers, the runs' own processes
 * (reaped by the helpers), PostgreSQL and Redis (a backend that exits meanwhile is not counted).
 */
function drainCpu(rt) {
  const workers = rt.workers.map((w) => w.pid);
  const helpers = workers.flatMap(childPids).map(procTimes);
  return {
    api: procTimes(rt.api.pid).self,
    workers: workers.reduce((n, p) => n + procTimes(p).self, 0),
    spawn_helpers: helpers.reduce((n, h) => n + h.self, 0),
    run_processes: helpers.reduce((n, h) => n + h.children, 0),
    ...serviceCpuMs(),
  };
}

function cpuPerRun(before, after, runs) {
  const per = Object.fromEntries(Object.keys(after).map((k) => [k, round((after[k] - before[k]) / runs, 3)]));
  return { ...per, total: round(Object.values(per).reduce((n, v) => n + v, 0), 3) };
}

// ---------------------------------------------------------------------------------------------------
// What the benchmark starts, and stops again

const TMP = fs.mkdtempSync(join(os.tmpdir(), 'runyard-bench-'));
const LOGS = join(TMP, 'logs');
const PROF_DIR = join(BENCH, 'results', 'profiles');
fs.mkdirSync(LOGS, { recursive: true });
if (PROFILE) fs.mkdirSync(PROF_DIR, { recursive: true });
const STAMPS = join(TMP, 'stamps');
/** Every NOOP run appends its expid here (bench/bin/noop): each must appear exactly once. */
const RUNS_LOG = join(TMP, 'runs.log');
fs.mkdirSync(STAMPS);
const GATE = join(TMP, 'gate.fifo');
execFileSync('mkfifo', [GATE]);
const SPEW_FILE = join(TMP, 'spew.txt');
// Runs execute as accounts of their own (Runyard as root): they pass through TMP and write their stamps and log.
fs.chmodSync(TMP, 0o711);
/** Every directory from `dir` up lets other accounts through. */
const enterable = (dir) => (fs.statSync(dir).mode & 0o001) !== 0 && (dir === dirname(dir) || enterable(dirname(dir)));
/** The benchmark's "autosubmit" programs, where the runs' accounts reach them (a copy when the checkout is private, e.g. under /root). */
const BIN = enterable(BENCH) ? join(BENCH, 'bin') : join(TMP, 'bin');
if (!enterable(BENCH)) fs.cpSync(join(BENCH, 'bin'), BIN, { recursive: true });
fs.chmodSync(STAMPS, 0o1777);
fs.writeFileSync(RUNS_LOG, '');
fs.chmodSync(RUNS_LOG, 0o666);
fs.chmodSync(GATE, 0o666);

const live = new Set(); // processes
const databases = new Set(); // names
let logSeq = 0;

/** A child process with its output in TMP/logs; `ready` = a regex its output must show, if any. */
function launch(name, args, env, ready) {
  const logFile = join(LOGS, `${String(++logSeq).padStart(2, '0')}-${name}.log`);
  const out = fs.createWriteStream(logFile);
  const nodeArgs = PROFILE && args[0] !== join(BENCH, 'baseline.mjs') ? ['-r', join(BENCH, 'cpu-profile.cjs')] : [];
  const flags = args[0] === WORKER_MAIN ? WORKER_NODE_FLAGS : [];
  const child = spawn(process.execPath, [...flags, ...nodeArgs, ...args], {
    env: { ...env, BENCH_PROF_DIR: PROF_DIR, BENCH_PROF_NAME: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  let onReady;
  const readyP = new Promise((r) => (onReady = r));
  const watch = (d) => {
    out.write(d);
    if (ready && seen.length < 1e6) {
      seen += d.toString();
      if (ready.test(seen)) onReady();
    }
  };
  child.stdout.on('data', watch);
  child.stderr.on('data', watch);
  const exited = new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  const p = {
    name,
    child,
    pid: child.pid,
    logFile,
    exited,
    ready: async (ms = 30_000) => {
      const r = await Promise.race([readyP.then(() => 'ready'), exited.then(() => 'exited'), sleep(ms).then(() => 'timeout')]);
      if (r !== 'ready') throw new Error(`${name} ${r === 'exited' ? 'exited' : 'did not become ready'}; see ${logFile}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        if (PROFILE && nodeArgs.length) {
          const file = join(PROF_DIR, `${name}-${child.pid}.cpuprofile`);
          child.kill('SIGUSR2');
          await until('a CPU profile', 10_000, () => fs.existsSync(file)).catch(() => undefined);
          profiles.push({ name, file });
        }
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }
      live.delete(p);
    },
  };
  live.add(p);
  return p;
}
const profiles = [];

/** A pg client whose connection errors (a dropped database) reject its queries instead of crashing the benchmark. */
function pgClient(url) {
  const c = new pg.Client({ connectionString: url });
  c.on('error', (e) => log(`postgres connection: ${e.message}`));
  return c;
}

async function adminQuery(sql, params) {
  const c = pgClient(POSTGRES_ADMIN_URL);
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

async function createDatabase() {
  const name = `runyard_bench_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  databases.add(name);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

async function dropDatabase(name) {
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  databases.delete(name);
}

async function flushRedis() {
  const r = new IORedis(REDIS_URL, { lazyConnect: true });
  await r.connect();
  await r.flushdb();
  await r.quit();
}

/** Cumulative per-command calls and usec of the Redis server (INFO commandstats). */
async function redisCommandStats() {
  const r = new IORedis(REDIS_URL, { lazyConnect: true });
  await r.connect();
  const text = await r.info('commandstats');
  await r.quit();
  const stats = {};
  for (const m of text.matchAll(/^cmdstat_(\S+?):calls=(\d+),usec=(\d+)/gm)) stats[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  return stats;
}

function diffCommandStats(before, after, per) {
  const rows = [];
  for (const [cmd, a] of Object.entries(after)) {
    const b = before[cmd] ?? { calls: 0, usec: 0 };
    if (a.calls > b.calls) rows.push({ cmd, calls: a.calls - b.calls, usec: a.usec - b.usec });
  }
  rows.sort((x, y) => y.usec - x.usec);
  const calls = rows.reduce((n, r) => n + r.calls, 0);
  const usec = rows.reduce((n, r) => n + r.usec, 0);
  return {
    calls_per_run: round(calls / per, 2),
    server_usec_per_run: round(usec / per, 1),
    top: rows.slice(0, 8).map((r) => ({ cmd: r.cmd, calls_per_run: round(r.calls / per, 2), usec_per_run: round(r.usec / per, 1) })),
  };
}

/** Postgres work of one database (pg_stat_database), for "per run" figures. */
async function pgDatabaseStats(name) {
  // Statistics reach the shared counters when a backend goes idle (up to ~1 s later).
  const { rows } = await adminQuery(
    `SELECT xact_commit::bigint AS xact, tup_returned::bigint AS returned, tup_fetched::bigint AS fetched,
            tup_inserted::bigint AS inserted, tup_updated::bigint AS updated, tup_deleted::bigint AS deleted,
            blks_hit::bigint + blks_read::bigint AS blocks
       FROM pg_stat_database WHERE datname = $1`,
    [name],
  );
  return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
}
function diffPgStats(before, after, per) {
  return Object.fromEntries(Object.keys(after).map((k) => [`${k}_per_run`, round((after[k] - before[k]) / per, 2)]));
}

// ---------------------------------------------------------------------------------------------------
// Runyard under test

const PROFILES_YAML = `
RUNNER_CONFIGURATION:
  PROFILES:
    NOOP:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${join(BIN, 'noop')}
    STAMP:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${join(BIN, 'stamp')}
    SPEW:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${join(BIN, 'spew')}
    GATE:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${join(BIN, 'gate')}
RUNNERS:
  LOCAL:
    ENABLED: True
    MODULE_LOADERS:
      NO_MODULE:
        ENABLED: True
`;

function baseEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(DATABASE_URL|REDIS_URL|RUNYARD_|RUN_|COMMAND_|PORT$|HOST$|HEARTBEAT_MS|LOST_AFTER_MS|STOP_GRACE_MS|NODE_OPTIONS)/.test(k))
      continue;
    env[k] = v;
  }
  return env;
}

/**
 * Starts the built Runyard: the API (role `api`, or `all` = API + worker in one process) against a
 * fresh database and the flushed Redis db, or in embedded mode (no DATABASE_URL, no REDIS_URL).
 */
async function startRunyard({ role = 'api', embedded = false, env: extra = {} } = {}) {
  const dir = fs.mkdtempSync(join(TMP, 'runyard-'));
  fs.chmodSync(dir, 0o711);
  const config = join(dir, 'runyard.yaml');
  fs.writeFileSync(config, PROFILES_YAML);
  const db = embedded ? null : await createDatabase();
  if (!embedded) await flushRedis();
  const port = await freePort();
  const env = {
    ...baseEnv(),
    PORT: String(port),
    HOST: '127.0.0.1',
    RUNYARD_CONFIG: config,
    RUNYARD_DATA_DIR: join(dir, 'data'),
    BENCH_STAMP_DIR: STAMPS,
    BENCH_RUNS_LOG: RUNS_LOG,
    BENCH_GATE: GATE,
    BENCH_SPEW_FILE: SPEW_FILE,
    // What the runs inherit from Runyard's environment besides PATH and the locale.
    RUN_ENV_ALLOW: 'BENCH_*',
    RUNYARD_BOOTSTRAP_TOKEN: TOKEN,
    ...(db ? { DATABASE_URL: db.url, REDIS_URL } : {}),
    ...extra,
  };
  const url = `http://127.0.0.1:${port}`;
  const api = launch(`api-${role}${embedded ? '-embedded' : ''}`, [API_MAIN], { ...env, RUNYARD_ROLE: role });
  await until(`Runyard at ${url} (see ${api.logFile})`, 60_000, async () => {
    if (api.child.exitCode !== null) throw new Error(`Runyard exited with ${api.child.exitCode}; see ${api.logFile}`);
    return (await request('GET', `${url}/health/ready`).catch(() => ({ status: 0 }))).status === 200;
  });
  const workers = [];
  const rt = {
    url,
    db,
    env,
    api,
    workers,
    async startWorker(extraEnv = {}) {
      const w = launch('worker', [WORKER_MAIN], { ...env, ...extraEnv }, /consuming runyard-runs/);
      workers.push(w);
      await w.ready();
      return w;
    },
    async stopWorkers() {
      await Promise.all(workers.splice(0).map((w) => w.stop()));
    },
    async close() {
      await Promise.all([...workers.splice(0), api].map((p) => p.stop()));
      if (db) await dropDatabase(db.name);
      if (!embedded) await flushRedis();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return rt;
}

async function submit(rt, profile, expid = nextExpid()) {
  const r = await request('POST', `${rt.url}/api/v1/runs`, { expid, profile_name: profile });
  if (r.status !== 202) throw new Error(`POST /api/v1/runs answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json;
}

async function listRuns(rt, query) {
  const r = await request('GET', `${rt.url}/api/v1/runs?${new URLSearchParams(query)}`);
  if (r.status !== 200) throw new Error(`GET /api/v1/runs answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json;
}

async function countStatus(rt, status, limit = 500) {
  return (await listRuns(rt, { status, limit: String(limit) })).runs.length;
}

/** Opens the FIFO the GATE runs wait on: every gate run blocked on it ends. */
async function openGate() {
  for (let i = 0; i < 2; i++) {
    const fd = fs.openSync(GATE, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    await sleep(50);
    fs.closeSync(fd);
    await sleep(150);
  }
}

/** Fills every worker slot with a GATE run (blocked on the FIFO), so runs submitted next stay queued. */
async function closeGate(rt, slots) {
  const gates = await pool(slots, 16, () => submit(rt, 'GATE'));
  await until(`${slots} gate runs active`, 30_000, async () => (await countStatus(rt, 'ACTIVE')) >= slots, 100);
  await sleep(300); // the gate scripts reach the FIFO
  return gates.map((g) => g.id);
}

function autocannonRun(url, path, o) {
  return new Promise((res, rej) => {
    autocannon(
      {
        url: `${url}${path}`,
        connections: o.connections,
        ...(o.amount ? { amount: o.amount } : { duration: o.duration }),
        pipelining: 1,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...AUTH_HEADER },
            setupRequest: (req) => ({ ...req, body: JSON.stringify({ expid: nextExpid(), profile_name: 'NOOP' }) }),
          },
        ],
      },
      (err, r) => (err ? rej(err) : res(r)),
    );
  });
}

function acceptFigures(r) {
  const ok = r['2xx'];
  return {
    accepted_per_s: round(ok / r.duration, 0),
    accepted: ok,
    non_2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    latency_p50_ms: r.latency.p50,
    latency_p99_ms: r.latency.p99,
    latency_max_ms: r.latency.max,
    duration_s: round(r.duration, 2),
  };
}

async function startBaseline() {
  const port = await freePort();
  const p = launch(
    'baseline',
    [join(BENCH, 'baseline.mjs'), 'server', String(port), REDIS_URL, 'bench-baseline'],
    { ...baseEnv(), BENCH_STAMP_DIR: STAMPS },
    /listening/,
  );
  await p.ready();
  return { url: `http://127.0.0.1:${port}`, proc: p };
}

// ---------------------------------------------------------------------------------------------------
// Scenarios

const results = { scenarios: {} };

/** accept: 64 clients POSTing runs; Runyard's API alone (no worker: the runs stay queued) vs express + queue.add. */
async function scenarioAccept() {
  const o = SIZES.accept;
  const out = { connections: o.connections, reps: [], baseline_reps: [] };
  const rt = await startRunyard({ role: 'api' });
  const base = await startBaseline();
  try {
    const warm = { connections: o.connections, duration: o.warmup, amount: o.warmupAmount };
    await autocannonRun(rt.url, '/api/v1/runs', warm);
    await autocannonRun(base.url, '/accept', warm);
    for (let i = 0; i < REPS; i++) {
      const rs0 = await redisCommandStats();
      await sleep(1200);
      const pg0 = await pgDatabaseStats(rt.db.name);
      const cpu0 = procTimes(rt.api.pid).self;
      const r = acceptFigures(await autocannonRun(rt.url, '/api/v1/runs', o));
      r.api_cpu_ms_per_run = round((procTimes(rt.api.pid).self - cpu0) / r.accepted, 3);
      const rs1 = await redisCommandStats();
      await sleep(1200);
      const pg1 = await pgDatabaseStats(rt.db.name);
      r.redis = diffCommandStats(rs0, rs1, r.accepted);
      r.postgres = diffPgStats(pg0, pg1, r.accepted);
      out.reps.push(r);
      const b0 = await redisCommandStats();
      const bcpu0 = procTimes(base.proc.pid).self;
      const b = acceptFigures(await autocannonRun(base.url, '/accept', o));
      b.api_cpu_ms_per_run = round((procTimes(base.proc.pid).self - bcpu0) / b.accepted, 3);
      b.redis = diffCommandStats(b0, await redisCommandStats(), b.accepted);
      out.baseline_reps.push(b);
      log(
        `accept rep ${i + 1}: runyard ${r.accepted_per_s}/s p99 ${r.latency_p99_ms} ms, ${r.api_cpu_ms_per_run} ms CPU per run; ` +
          `baseline ${b.accepted_per_s}/s p99 ${b.latency_p99_ms} ms, ${b.api_cpu_ms_per_run} ms CPU per run`,
      );
    }
  } finally {
    await base.proc.stop();
    await rt.close();
  }
  const m = (xs, k) => median(xs.map((x) => x[k]));
  out.runyard = {
    accepted_per_s: m(out.reps, 'accepted_per_s'),
    p50_ms: m(out.reps, 'latency_p50_ms'),
    p99_ms: m(out.reps, 'latency_p99_ms'),
    api_cpu_ms_per_run: m(out.reps, 'api_cpu_ms_per_run'),
  };
  out.baseline = {
    accepted_per_s: m(out.baseline_reps, 'accepted_per_s'),
    p50_ms: m(out.baseline_reps, 'latency_p50_ms'),
    p99_ms: m(out.baseline_reps, 'latency_p99_ms'),
    api_cpu_ms_per_run: m(out.baseline_reps, 'api_cpu_ms_per_run'),
  };
  out.ratio = round(out.runyard.accepted_per_s / out.baseline.accepted_per_s, 3);
  out.targets = { throughput_ge_50pct_of_baseline: out.ratio >= 0.5, p99_le_50ms: out.runyard.p99_ms <= 50 };
  results.scenarios.accept = out;
}

/** Sends `n` requests open-loop at `rate`/s; answers {expid: send wall time}. */
async function openLoop(n, rate, send) {
  calibrateWall();
  const sent = new Map();
  const pending = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait - 1);
    while (performance.now() < due); // the last millisecond, busy (tiny)
    const expid = nextExpid();
    sent.set(expid, wallNow());
    pending.push(send(expid));
  }
  const answers = await Promise.all(pending);
  return { sent, failed: answers.filter((ok) => !ok).length };
}

async function collectStamps(sent, deadlineMs = 30_000) {
  const lat = [];
  await until(
    `${sent.size} processes to start`,
    deadlineMs,
    () => [...sent.keys()].every((e) => fs.existsSync(join(STAMPS, e))),
    100,
  ).catch((e) => log(e.message));
  let missing = 0;
  const starts = new Map();
  for (const [expid, t] of sent) {
    try {
      const started = Number(fs.readFileSync(join(STAMPS, expid), 'utf8')) * 1000;
      starts.set(expid, started);
      lat.push(started - t);
      fs.rmSync(join(STAMPS, expid));
    } catch {
      missing++;
    }
  }
  const r = {
    p50_ms: round(quantile(lat, 0.5), 2),
    p99_ms: round(quantile(lat, 0.99), 2),
    max_ms: round(Math.max(...lat), 2),
    started: lat.length,
    missing,
  };
  Object.defineProperty(r, 'starts', { value: starts, enumerable: false });
  return r;
}

/**
 * Where Runyard's dispatch time goes, from the run rows: created_at (the INSERT's transaction),
 * heartbeat_at (set by the worker's claim; a run this short sees no heartbeat after it), started_at
 * (set by the worker once the process has spawned) and the process's own stamp. Medians and p99s, ms.
 */
async function dispatchBreakdown(dbUrl, sent, starts) {
  const c = pgClient(dbUrl);
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT expid, extract(epoch FROM created_at) * 1000 AS created, extract(epoch FROM heartbeat_at) * 1000 AS claimed,
              extract(epoch FROM started_at) * 1000 AS started, extract(epoch FROM finished_at) * 1000 AS finished
         FROM runs WHERE expid = ANY($1) AND kind = 'run'`,
      [[...sent.keys()]],
    );
    const parts = { post_to_row_inserted: [], row_to_claimed_by_worker: [], claimed_to_spawned: [], spawned_to_process_stamp: [] };
    for (const r of rows) {
      const t = sent.get(r.expid);
      const stamp = starts.get(r.expid);
      if (t === undefined || stamp === undefined || r.claimed === null || r.started === null) continue;
      parts.post_to_row_inserted.push(Number(r.created) - t);
      parts.row_to_claimed_by_worker.push(Number(r.claimed) - Number(r.created));
      parts.claimed_to_spawned.push(Number(r.started) - Number(r.claimed));
      parts.spawned_to_process_stamp.push(stamp - Number(r.started));
    }
    return Object.fromEntries(
      Object.entries(parts).map(([k, v]) => [k, { p50_ms: round(quantile(v, 0.5), 2), p99_ms: round(quantile(v, 0.99), 2) }]),
    );
  } finally {
    await c.end();
  }
}

/** dispatch: POST at 50 runs/s → the process's own start timestamp; vs spawning it inside the HTTP handler. */
async function scenarioDispatch() {
  const o = SIZES.dispatch;
  const out = { rate_per_s: o.rate, runs_per_rep: o.runs, reps: [], baseline_reps: [] };
  const rt = await startRunyard({ role: 'api' });
  await rt.startWorker();
  const base = await startBaseline();
  try {
    // Warm-up: a few runs through both paths.
    await openLoop(
      10,
      o.rate,
      async (e) => (await request('POST', `${rt.url}/api/v1/runs`, { expid: e, profile_name: 'STAMP' })).status === 202,
    ).then((s) => collectStamps(s.sent));
    await openLoop(10, o.rate, async (e) => (await request('POST', `${base.url}/spawn`, { expid: e })).status === 200).then((s) =>
      collectStamps(s.sent),
    );
    for (let i = 0; i < REPS; i++) {
      const s = await openLoop(
        o.runs,
        o.rate,
        async (e) => (await request('POST', `${rt.url}/api/v1/runs`, { expid: e, profile_name: 'STAMP' })).status === 202,
      );
      const stamps = await collectStamps(s.sent);
      const r = { ...stamps, refused: s.failed };
      // Let the runs finish before the baseline shares the CPUs.
      await until(
        'dispatch runs to finish',
        30_000,
        async () =>
          (await countStatus(rt, 'ACTIVE', 1)) + (await countStatus(rt, 'QUEUED', 1)) + (await countStatus(rt, 'STARTING', 1)) === 0,
        200,
      ).catch((e) => log(e.message));
      r.breakdown = await dispatchBreakdown(rt.db.url, s.sent, stamps.starts);
      const bs = await openLoop(o.runs, o.rate, async (e) => (await request('POST', `${base.url}/spawn`, { expid: e })).status === 200);
      const b = { ...(await collectStamps(bs.sent)), refused: bs.failed };
      out.reps.push(r);
      out.baseline_reps.push(b);
      log(`dispatch rep ${i + 1}: runyard p50 ${r.p50_ms} p99 ${r.p99_ms} ms; baseline p50 ${b.p50_ms} p99 ${b.p99_ms} ms`);
    }
  } finally {
    await base.proc.stop();
    await rt.close();
  }
  const m = (xs, k) => median(xs.map((x) => x[k]));
  out.runyard = { p50_ms: m(out.reps, 'p50_ms'), p99_ms: m(out.reps, 'p99_ms') };
  out.baseline = { p50_ms: m(out.baseline_reps, 'p50_ms'), p99_ms: m(out.baseline_reps, 'p99_ms') };
  out.ratio_p50 = round(out.runyard.p50_ms / out.baseline.p50_ms, 2);
  out.targets = {
    p50_le_3x_baseline: out.runyard.p50_ms <= 3 * out.baseline.p50_ms,
    p50_le_15ms: out.runyard.p50_ms <= 15,
    p99_le_60ms: out.runyard.p99_ms <= 60,
  };
  results.scenarios.dispatch = out;
}

/**
 * One drain: every worker slot held by a GATE run, `runs` NOOP runs queued behind them, then the
 * gate opens; completed runs / (last finished_at - gate opened).
 */
async function drainOnce(rt, slots, runs, deadlineMs, withStats) {
  await closeGate(rt, slots);
  const tq = performance.now();
  const submitted = await pool(runs, 32, () => submit(rt, 'NOOP'));
  const enqueueMs = performance.now() - tq;
  const ids = new Set(submitted.map((r) => r.id));
  const minId = Math.min(...ids);
  fs.writeFileSync(RUNS_LOG, '');
  await sleep(1200);
  const rs0 = withStats ? await redisCommandStats() : null;
  const pg0 = withStats ? await pgDatabaseStats(rt.db.name) : null;
  const cpu0 = withStats ? drainCpu(rt) : null;
  const t0 = Date.now();
  await openGate();
  let timedOut = false;
  await until(
    'the queue to drain',
    deadlineMs,
    async () => {
      for (const s of ['QUEUED', 'STARTING', 'ACTIVE']) if ((await countStatus(rt, s, 1)) > 0) return false;
      return true;
    },
    250,
  ).catch(() => (timedOut = true));
  const rs1 = withStats ? await redisCommandStats() : null;
  const cpu1 = withStats ? drainCpu(rt) : null;
  // finished_at of the drained runs (newest first, so stop below the first one).
  let completed = 0;
  let failed = 0;
  let last = 0;
  for (const status of ['COMPLETED', 'FAILED', 'LOST', 'TERMINATED']) {
    let before;
    for (let page = 0; page < 1000; page++) {
      const q = { status, limit: '500', ...(before ? { before: String(before) } : {}) };
      const { runs: rows, next_before } = await listRuns(rt, q);
      for (const r of rows) {
        if (!ids.has(r.id)) continue;
        if (status === 'COMPLETED') {
          completed++;
          last = Math.max(last, Date.parse(r.finished_at));
        } else failed++;
      }
      if (!next_before || rows.length === 0 || rows[rows.length - 1].id < minId) break;
      before = next_before;
    }
  }
  // With a deadline hit, the rate is over the window that was measured.
  const end = timedOut ? Date.now() : last;
  // Exactly once: every submitted run's expid in the runs' own log one time, none twice.
  const executed = new Map();
  for (const e of fs.readFileSync(RUNS_LOG, 'utf8').split('\n').filter(Boolean)) executed.set(e, (executed.get(e) ?? 0) + 1);
  const expids = submitted.map((s) => s.expid);
  const r = {
    runs,
    completed,
    not_completed: runs - completed,
    failed,
    executed_once: expids.filter((e) => executed.get(e) === 1).length,
    executed_twice_or_more: expids.filter((e) => (executed.get(e) ?? 0) > 1).length,
    never_executed: expids.filter((e) => !executed.has(e)).length,
    timed_out: timedOut,
    enqueue_per_s: round(runs / (enqueueMs / 1000), 0),
    drain_s: round((end - t0) / 1000, 2),
    completed_per_s: round(completed / ((end - t0) / 1000), 1),
  };
  if (withStats) {
    await sleep(1200);
    r.redis = diffCommandStats(rs0, rs1, completed);
    r.postgres = diffPgStats(pg0, await pgDatabaseStats(rt.db.name), completed);
    r.cpu_ms_per_run = cpuPerRun(cpu0, cpu1, completed);
  }
  return r;
}

async function baselineDrain(runs, processes, concurrency) {
  const per = Math.ceil(runs / processes);
  // The spawn loops and the noops they reaped count in this process's children once they are reaped.
  const cpu0 = procTimes(process.pid).children;
  const outs = await Promise.all(
    Array.from({ length: processes }, async (_, i) => {
      const p = launch(
        'baseline-drain',
        [join(BENCH, 'baseline.mjs'), 'drain', String(Math.min(per, runs - i * per)), String(concurrency), join(BIN, 'noop')],
        // The same work per run as Runyard's (the noop appends to a log).
        { ...baseEnv(), BENCH_RUNS_LOG: join(TMP, 'baseline-runs.log') },
      );
      let text = '';
      p.child.stdout.on('data', (d) => (text += d));
      const code = await p.exited;
      live.delete(p);
      if (code !== 0) throw new Error(`baseline drain exited ${code}; see ${p.logFile}`);
      return JSON.parse(text.trim().split('\n').pop());
    }),
  );
  const ms = Math.max(...outs.map((o) => o.ms));
  const cpu = round((procTimes(process.pid).children - cpu0) / runs, 3);
  return { runs, drain_s: round(ms / 1000, 2), completed_per_s: round(runs / (ms / 1000), 1), cpu_ms_per_run: cpu };
}

/** drain: N queued no-op runs through 1 and 2 worker processes vs a spawn loop of the same concurrency. */
async function scenarioDrain() {
  const o = SIZES.drain;
  const out = { runs: o.runs, run_concurrency: o.concurrency, by_workers: {} };
  for (const w of o.workers) {
    const rt = await startRunyard({ role: 'api' });
    const res = { reps: [], baseline_reps: [] };
    try {
      for (let i = 0; i < w; i++) await rt.startWorker({ RUN_CONCURRENCY: String(o.concurrency) });
      for (let i = 0; i < (opt('reps') ? REPS : (o.reps ?? REPS)); i++) {
        const r = await drainOnce(rt, w * o.concurrency, o.runs, o.deadlineMs, true);
        const b = await baselineDrain(o.runs, w, o.concurrency);
        res.reps.push(r);
        res.baseline_reps.push(b);
        log(
          `drain ${w} worker(s) rep ${i + 1}: runyard ${r.completed_per_s}/s (${r.completed}/${r.runs}, each executed once: ${r.executed_once === r.runs}); baseline ${b.completed_per_s}/s`,
        );
      }
    } finally {
      await rt.close();
    }
    res.runyard_per_s = round(median(res.reps.map((r) => r.completed_per_s)), 1);
    res.baseline_per_s = round(median(res.baseline_reps.map((r) => r.completed_per_s)), 1);
    res.ratio = round(res.runyard_per_s / res.baseline_per_s, 3);
    const cpus = res.reps.map((r) => r.cpu_ms_per_run).filter(Boolean);
    if (cpus.length) res.cpu_ms_per_run = Object.fromEntries(Object.keys(cpus[0]).map((k) => [k, round(median(cpus.map((c) => c[k])), 2)]));
    res.baseline_cpu_ms_per_run = round(median(res.baseline_reps.map((r) => r.cpu_ms_per_run)), 2);
    res.targets = {
      ge_50pct_of_baseline: res.ratio >= 0.5,
      all_completed: res.reps.every((r) => r.not_completed === 0),
      each_executed_once: res.reps.every((r) => r.executed_once === r.runs),
    };
    out.by_workers[w] = res;
  }
  results.scenarios.drain = out;
}

function makeSpewFile(bytes) {
  const fd = fs.openSync(SPEW_FILE, 'w');
  let written = 0;
  let line = 0;
  const hash = createHash('sha256');
  while (written < bytes) {
    let s = '';
    while (s.length < MiB)
      s += `${String(line++).padStart(9, '0')} INFO job a000_${line % 997}_SIM state RUNNING -> COMPLETED ${(line * 2654435761) % 4294967296}\n`;
    const buf = Buffer.from(s).subarray(0, Math.min(Buffer.byteLength(s), bytes - written));
    fs.writeSync(fd, buf);
    hash.update(buf);
    written += buf.length;
  }
  fs.closeSync(fd);
  return written;
}

function sha256OfFilePrefix(file, length) {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 * MiB);
  let pos = 0;
  while (pos < length) {
    const n = fs.readSync(fd, buf, 0, Math.min(buf.length, length - pos), pos);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    pos += n;
  }
  fs.closeSync(fd);
  return hash.digest('hex');
}

/** What Postgres holds of a run's output: size and sha256 of the bytes in order. */
async function storedOutput(dbUrl, runId) {
  const c = pgClient(dbUrl);
  await c.connect();
  const hash = createHash('sha256');
  let bytes = 0;
  let chunks = 0;
  let last = 0;
  try {
    for (let i = 0; i < 100_000; i++) {
      const { rows } = await c.query('SELECT id, data FROM run_output WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT 32', [runId, last]);
      if (rows.length === 0) break;
      for (const r of rows) {
        hash.update(r.data);
        bytes += r.data.length;
        chunks++;
        last = r.id;
      }
    }
  } finally {
    await c.end();
  }
  return { bytes, chunks, sha256: hash.digest('hex') };
}

/** output: one run printing N bytes; wall time, worker peak RSS, bytes stored vs printed; vs `cat` to /dev/null. */
async function scenarioOutput() {
  const o = SIZES.output;
  const printed = makeSpewFile(o.bytes);
  const out = { printed_bytes: printed, by_cap: {} };
  const rt = await startRunyard({ role: 'api' });
  try {
    for (const cap of o.caps) {
      const res = { cap_bytes: cap, reps: [] };
      for (let i = 0; i < o.reps; i++) {
        const w = await rt.startWorker({ RUN_LOG_CAP_BYTES: String(cap) });
        await sleep(500);
        const idle = procStatus(w.pid);
        let peakRss = idle.rssMiB;
        const sampler = setInterval(() => (peakRss = Math.max(peakRss, procStatus(w.pid).rssMiB || 0)), 50);
        const t0 = Date.now();
        const run = await submit(rt, 'SPEW');
        const done = await until(
          'the output run to finish',
          300_000,
          async () => {
            const r = await request('GET', `${rt.url}/api/v1/runs/${run.id}`);
            return ['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'].includes(r.json?.status) ? r.json : null;
          },
          50,
        );
        clearInterval(sampler);
        const hwm = procStatus(w.pid).hwmMiB;
        await rt.stopWorkers();
        const stored = await storedOutput(rt.db.url, run.id);
        const expectStored = Math.min(cap, printed);
        const r = {
          status: done.status,
          wall_s: round((Date.parse(done.finished_at) - t0) / 1000, 2),
          process_s: round((Date.parse(done.finished_at) - Date.parse(done.started_at)) / 1000, 2),
          worker_idle_rss_mib: round(idle.rssMiB),
          worker_peak_rss_mib: round(hwm),
          worker_peak_rss_sampled_mib: round(peakRss),
          log_bytes: done.log_bytes,
          log_truncated_bytes: done.log_truncated_bytes,
          stored_bytes: stored.bytes,
          stored_chunks: stored.chunks,
          stored_equals_printed_prefix: stored.bytes === expectStored && stored.sha256 === sha256OfFilePrefix(SPEW_FILE, expectStored),
          accounted_bytes_equal_printed: done.log_bytes + done.log_truncated_bytes === printed && done.log_bytes === stored.bytes,
        };
        res.reps.push(r);
        log(
          `output cap ${cap >> 20} MiB rep ${i + 1}: ${r.wall_s} s, worker peak RSS ${r.worker_peak_rss_mib} MiB, stored ${r.stored_bytes}, truncated ${r.log_truncated_bytes}, intact ${r.stored_equals_printed_prefix && r.accounted_bytes_equal_printed}`,
        );
      }
      res.wall_s = round(median(res.reps.map((r) => r.wall_s)), 2);
      res.worker_peak_rss_mib = Math.max(...res.reps.map((r) => r.worker_peak_rss_mib));
      res.targets = {
        worker_rss_le_200mb: res.worker_peak_rss_mib * MiB <= 200e6,
        nothing_lost_below_cap: res.reps.every(
          (r) => r.status === 'COMPLETED' && r.stored_equals_printed_prefix && r.accounted_bytes_equal_printed,
        ),
      };
      out.by_cap[cap] = res;
    }
    // Measured 500 ms after each output worker said it was consuming, before its run.
    out.worker_idle_rss_mib = round(median(Object.values(out.by_cap).flatMap((c) => c.reps.map((r) => r.worker_idle_rss_mib))));
    out.targets = { worker_idle_rss_le_80mib: out.worker_idle_rss_mib <= 80 };
  } finally {
    await rt.close();
  }
  const base = [];
  for (let i = 0; i < o.reps; i++) {
    const t0 = performance.now();
    const devnull = fs.openSync('/dev/null', 'w');
    await new Promise((res, rej) => {
      const c = spawn('cat', [SPEW_FILE], { stdio: ['ignore', devnull, 'inherit'] });
      c.once('error', rej);
      c.once('exit', res);
    });
    fs.closeSync(devnull);
    base.push((performance.now() - t0) / 1000);
  }
  out.baseline_cat_devnull_s = round(median(base), 3);
  fs.rmSync(SPEW_FILE, { force: true });
  results.scenarios.output = out;
}

/** history: N runs inserted with generate_series; p99 of GET /api/v1/runs?status=&expid= pages. */
async function scenarioHistory() {
  const o = SIZES.history;
  const out = { rows: o.rows, expids: o.expids, reps: [] };
  const rt = await startRunyard({ role: 'api' });
  try {
    const c = pgClient(rt.db.url);
    await c.connect();
    const t0 = performance.now();
    await c.query('SELECT setseed(0.42)');
    await c.query(
      `INSERT INTO runs (kind, expid, profile_name, runner, module_loader, modules, argv, settings, status, detail, pid, host,
                         exit_code, requested_by, log_bytes, created_at, modified_at, started_at, finished_at)
       SELECT k.kind, e.expid, 'NOOP', 'LOCAL', 'NO_MODULE', '[]'::jsonb,
              jsonb_build_array('/usr/local/bin/autosubmit', k.cmd, e.expid),
              jsonb_build_object('runner', 'LOCAL', 'loader', 'NO_MODULE', 'modules', '[]'::jsonb, 'args', jsonb_build_array(k.cmd, e.expid)),
              s.status, 'exit code ' || s.code, 10000 + g % 50000, 'bench-host', s.code, 'bench',
              (g % 100000), t.at, t.at + interval '5 minutes', t.at + interval '1 second', t.at + interval '5 minutes'
         FROM generate_series(1, $1::int) g
         CROSS JOIN LATERAL (SELECT random() AS r1, random() AS r2 WHERE g IS NOT NULL) rnd -- g: once per row, not once
         CROSS JOIN LATERAL (SELECT lpad(((g::bigint * 7919) % $2::int)::text, 4, '0') AS expid) e
         CROSS JOIN LATERAL (SELECT CASE WHEN rnd.r1 < 0.9 THEN 'run' ELSE 'setstatus' END AS kind,
                                    CASE WHEN rnd.r1 < 0.9 THEN 'run' ELSE 'setstatus' END AS cmd) k
         CROSS JOIN LATERAL (SELECT CASE WHEN rnd.r2 < 0.85 THEN 'COMPLETED' WHEN rnd.r2 < 0.95 THEN 'FAILED'
                                         WHEN rnd.r2 < 0.99 THEN 'TERMINATED' ELSE 'LOST' END AS status,
                                    CASE WHEN rnd.r2 < 0.85 THEN 0 ELSE 1 END AS code) s
         CROSS JOIN LATERAL (SELECT now() - ($1::int - g) * interval '30 seconds' AS at) t`,
      [o.rows, o.expids],
    );
    const insertS = (performance.now() - t0) / 1000;
    await c.query('ANALYZE runs');
    out.insert_s = round(insertS, 1);
    out.status_counts = Object.fromEntries(
      (await c.query(`SELECT status, count(*)::int AS n FROM runs GROUP BY status ORDER BY status`)).rows.map((r) => [r.status, r.n]),
    );
    out.table_mb = round(Number((await c.query(`SELECT pg_total_relation_size('runs') AS b`)).rows[0].b) / 1e6, 0);
    const explain = await c.query(
      `EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM runs r WHERE r.expid = $1 AND r.status = $2 ORDER BY r.id DESC LIMIT 50`,
      ['0042', 'FAILED'],
    );
    out.explain_status_expid = explain.rows.map((r) => r['QUERY PLAN']);
    await c.end();
    log(`history: ${o.rows} rows inserted in ${out.insert_s} s (${out.table_mb} MB)`);

    const statuses = ['COMPLETED', 'COMPLETED', 'FAILED', 'FAILED', 'TERMINATED', 'LOST'];
    const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
    const expidOf = () => String(Math.floor(Math.random() * o.expids)).padStart(4, '0');
    /** One browse: the first page and up to 2 more following next_before. */
    const browse = async (query, lat) => {
      let before;
      for (let page = 0; page < 3; page++) {
        const q = { ...query, ...(before ? { before: String(before) } : {}) };
        const t = performance.now();
        const r = await request('GET', `${rt.url}/api/v1/runs?${new URLSearchParams(q)}`);
        (page === 0 ? lat.first : lat.next).push(performance.now() - t);
        if (r.status !== 200) throw new Error(`GET /api/v1/runs answered ${r.status}`);
        if (!r.json.next_before) break;
        before = r.json.next_before;
      }
    };
    for (let i = 0; i < 20; i++) await browse({ status: pick(statuses), expid: expidOf() }, { first: [], next: [] }); // warm-up
    for (let i = 0; i < REPS; i++) {
      const classes = {
        status_and_expid: () => ({ status: pick(statuses), expid: expidOf() }),
        expid_only: () => ({ expid: expidOf() }),
        status_only: () => ({ status: pick(statuses) }),
      };
      const rep = {};
      for (const [name, q] of Object.entries(classes)) {
        const lat = { first: [], next: [] };
        const n = name === 'status_and_expid' ? o.queries : Math.ceil(o.queries / 4);
        for (let j = 0; j < n; j++) await browse(q(), lat);
        const all = [...lat.first, ...lat.next];
        rep[name] = {
          pages: all.length,
          p50_ms: round(quantile(all, 0.5), 2),
          p99_ms: round(quantile(all, 0.99), 2),
          first_page_p99_ms: round(quantile(lat.first, 0.99), 2),
          next_pages_p99_ms: round(quantile(lat.next, 0.99), 2),
        };
      }
      out.reps.push(rep);
      log(`history rep ${i + 1}: status&expid p50 ${rep.status_and_expid.p50_ms} p99 ${rep.status_and_expid.p99_ms} ms`);
    }
  } finally {
    await rt.close();
  }
  const m = (cls, k) => median(out.reps.map((r) => r[cls][k]));
  out.runyard = { p50_ms: m('status_and_expid', 'p50_ms'), p99_ms: m('status_and_expid', 'p99_ms') };
  out.other = { expid_only_p99_ms: m('expid_only', 'p99_ms'), status_only_p99_ms: m('status_only', 'p99_ms') };
  out.targets = { p99_le_50ms: out.runyard.p99_ms <= 50 };
  results.scenarios.history = out;
}

/** The embedded PostgreSQL's own start-up, as Runyard logs it: `(new|existing, ready in N ms)`. */
function embeddedServerStartMs(logFile) {
  const m = /embedded PostgreSQL .*\((new|existing), ready in (\d+) ms\)/.exec(fs.readFileSync(logFile, 'utf8'));
  return m ? Number(m[2]) : null;
}

/**
 * embedded: accept and drain with no DATABASE_URL and no REDIS_URL (the embedded PostgreSQL + BullMQ's
 * PostgreSQL backend), API + worker in one process; and the start-up, cold (initdb) and warm (same data dir).
 */
async function scenarioEmbedded() {
  const o = SIZES.embedded;
  const out = { connections: o.connections, drain_runs: o.drainRuns, run_concurrency: 16, reps: [] };
  for (let i = 0; i < o.reps; i++) {
    // Under root the server runs as its own user, which must be able to enter the data dir (mkdtemp: 0700).
    const dataParent = fs.mkdtempSync(join(os.tmpdir(), 'runyard-bench-embedded-'));
    fs.chmodSync(dataParent, 0o755);
    const t0 = Date.now();
    const rt = await startRunyard({
      role: 'all',
      embedded: true,
      env: { RUN_CONCURRENCY: '16', RUNYARD_DATA_DIR: join(dataParent, 'data') },
    });
    const startup = { cold_ms: Date.now() - t0, cold_server_ms: embeddedServerStartMs(rt.api.logFile) };
    try {
      await closeGate(rt, 16); // the in-process worker is busy: accepted runs stay queued
      const a = acceptFigures(await autocannonRun(rt.url, '/api/v1/runs', o));
      log(`embedded rep ${i + 1}: accept ${a.accepted_per_s}/s p99 ${a.latency_p99_ms} ms`);
      // Drain what is queued, topped up to drainRuns if accept left fewer.
      const queuedIds = [];
      let before;
      for (let page = 0; page < 1000; page++) {
        const { runs, next_before } = await listRuns(rt, { status: 'QUEUED', limit: '500', ...(before ? { before: String(before) } : {}) });
        queuedIds.push(...runs.map((r) => r.id));
        if (!next_before) break;
        before = next_before;
      }
      const topUp = Math.max(0, o.drainRuns - queuedIds.length);
      const more = await pool(topUp, 32, () => submit(rt, 'NOOP'));
      const ids = new Set([...queuedIds, ...more.map((r) => r.id)]);
      const t0 = Date.now();
      await openGate();
      let timedOut = false;
      await until(
        'the embedded queue to drain',
        o.deadlineMs,
        async () => {
          for (const s of ['QUEUED', 'STARTING', 'ACTIVE']) if ((await countStatus(rt, s, 1)) > 0) return false;
          return true;
        },
        500,
      ).catch(() => (timedOut = true));
      const tEnd = Date.now();
      let completed = 0;
      let last = 0;
      before = undefined;
      const minId = Math.min(...ids);
      for (let page = 0; page < 1000; page++) {
        const { runs, next_before } = await listRuns(rt, {
          status: 'COMPLETED',
          limit: '500',
          ...(before ? { before: String(before) } : {}),
        });
        for (const r of runs) {
          if (!ids.has(r.id)) continue;
          completed++;
          last = Math.max(last, Date.parse(r.finished_at));
        }
        if (!next_before || runs[runs.length - 1].id < minId) break;
        before = next_before;
      }
      const end = timedOut ? tEnd : last;
      const d = {
        runs: ids.size,
        completed,
        timed_out: timedOut,
        drain_s: round((end - t0) / 1000, 2),
        completed_per_s: round(completed / ((end - t0) / 1000), 1),
      };
      log(`embedded rep ${i + 1}: drain ${d.completed_per_s}/s (${d.completed}/${d.runs}${timedOut ? ', deadline hit' : ''})`);

      await rt.api.stop();
      const t1 = Date.now();
      const again = launch('api-all-embedded-warm', [API_MAIN], { ...rt.env, RUNYARD_ROLE: 'all' });
      try {
        await until(
          'the warm start',
          60_000,
          async () => (await request('GET', `${rt.url}/health/ready`).catch(() => ({ status: 0 }))).status === 200,
          20,
        );
        Object.assign(startup, { warm_ms: Date.now() - t1, warm_server_ms: embeddedServerStartMs(again.logFile) });
      } finally {
        await again.stop();
      }
      log(
        `embedded rep ${i + 1}: start-up cold ${startup.cold_ms} ms (server ${startup.cold_server_ms} ms), warm ${startup.warm_ms} ms (server ${startup.warm_server_ms} ms)`,
      );
      out.reps.push({ accept: a, drain: d, startup });
    } finally {
      await rt.close();
      fs.rmSync(dataParent, { recursive: true, force: true });
    }
  }
  out.accept = {
    accepted_per_s: median(out.reps.map((r) => r.accept.accepted_per_s)),
    p50_ms: median(out.reps.map((r) => r.accept.latency_p50_ms)),
    p99_ms: median(out.reps.map((r) => r.accept.latency_p99_ms)),
  };
  out.drain_per_s = median(out.reps.map((r) => r.drain.completed_per_s));
  out.startup = Object.fromEntries(
    ['cold_ms', 'cold_server_ms', 'warm_ms', 'warm_server_ms'].map((k) => [k, median(out.reps.map((r) => r.startup[k]))]),
  );
  results.scenarios.embedded = out;
}

// ---------------------------------------------------------------------------------------------------
// CPU profiles (--profile): the heaviest functions by self time

function summarizeProfile(file) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const dt = new Map();
  const total = prof.endTime - prof.startTime;
  const counts = new Map();
  for (const s of prof.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const perSample = total / Math.max(1, prof.samples.length);
  for (const n of prof.nodes) {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(`file://${ROOT}/`, '')}:${f.lineNumber + 1}`;
    dt.set(key, (dt.get(key) ?? 0) + (counts.get(n.id) ?? 0) * perSample);
  }
  const idle = [...dt.entries()].filter(([k]) => k.startsWith('(idle)')).reduce((n, [, v]) => n + v, 0);
  return {
    file,
    busy_pct: round((100 * (total - idle)) / total, 1),
    top_self_ms: [...dt.entries()]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([k, us]) => ({ fn: k, self_ms: round(us / 1000, 0) })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Table and results

function table() {
  const s = Object.fromEntries(Object.entries(results.scenarios).filter(([, v]) => !v.error));
  const rows = Object.entries(results.scenarios)
    .filter(([, v]) => v.error)
    .map(([k, v]) => [k, `FAILED: ${v.error.split('\n')[0]}`, '', '']);
  const ok = (b) => (b === undefined ? '' : b ? 'met' : 'MISSED');
  if (s.accept) {
    const a = s.accept;
    rows.push([
      `accept (${a.connections} clients)`,
      `${a.runyard.accepted_per_s}/s, p50 ${a.runyard.p50_ms} ms, p99 ${a.runyard.p99_ms} ms`,
      `${a.baseline.accepted_per_s}/s, p50 ${a.baseline.p50_ms} ms, p99 ${a.baseline.p99_ms} ms`,
      `${Math.round(a.ratio * 100)}% of baseline (${ok(a.targets.throughput_ge_50pct_of_baseline)}); p99 ${ok(a.targets.p99_le_50ms)}`,
    ]);
  }
  if (s.dispatch) {
    const d = s.dispatch;
    rows.push([
      `dispatch at ${d.rate_per_s}/s`,
      `p50 ${d.runyard.p50_ms} ms, p99 ${d.runyard.p99_ms} ms`,
      `p50 ${d.baseline.p50_ms} ms, p99 ${d.baseline.p99_ms} ms`,
      `p50 ${d.ratio_p50}x (${ok(d.targets.p50_le_3x_baseline)}), ≤15 ms ${ok(d.targets.p50_le_15ms)}; p99 ${ok(d.targets.p99_le_60ms)}`,
    ]);
  }
  if (s.drain) {
    for (const [w, d] of Object.entries(s.drain.by_workers)) {
      const c = d.cpu_ms_per_run;
      const split = c
        ? ` (CPU per run ${c.total} ms: workers ${c.workers}, spawn helpers ${c.spawn_helpers}, run processes ${c.run_processes}, PostgreSQL ${c.postgres}, Redis ${c.redis}, API ${c.api})`
        : '';
      rows.push([
        `drain ${s.drain.runs} runs, ${w} worker(s)`,
        `${d.runyard_per_s} runs/s${split}`,
        `${d.baseline_per_s} runs/s${d.baseline_cpu_ms_per_run ? ` (CPU per run ${d.baseline_cpu_ms_per_run} ms)` : ''}`,
        `${Math.round(d.ratio * 100)}% of baseline (${ok(d.targets.ge_50pct_of_baseline)}); each run executed once ${ok(d.targets.each_executed_once)}`,
      ]);
    }
  }
  if (s.output) {
    for (const [cap, d] of Object.entries(s.output.by_cap)) {
      const r = d.reps[0];
      rows.push([
        `output ${Math.round(s.output.printed_bytes / MiB)} MiB, cap ${Math.round(cap / MiB)} MiB`,
        `${d.wall_s} s, worker peak RSS ${d.worker_peak_rss_mib} MiB, stored ${r.stored_bytes}, truncated ${r.log_truncated_bytes}`,
        `cat > /dev/null ${s.output.baseline_cat_devnull_s} s`,
        `RSS ${ok(d.targets.worker_rss_le_200mb)}; nothing lost ${ok(d.targets.nothing_lost_below_cap)}`,
      ]);
    }
  }
  if (s.output?.worker_idle_rss_mib) {
    rows.push(['idle worker RSS', `${s.output.worker_idle_rss_mib} MiB`, '', `≤ 80 MiB ${ok(s.output.targets.worker_idle_rss_le_80mib)}`]);
  }
  if (s.history) {
    const h = s.history;
    rows.push([
      `history ${h.rows} rows`,
      `status&expid pages p50 ${h.runyard.p50_ms} ms, p99 ${h.runyard.p99_ms} ms`,
      `(expid only p99 ${h.other.expid_only_p99_ms} ms, status only p99 ${h.other.status_only_p99_ms} ms)`,
      `p99 ≤ 50 ms ${ok(h.targets.p99_le_50ms)}`,
    ]);
  }
  if (s.embedded) {
    const e = s.embedded;
    rows.push([
      'embedded accept',
      `${e.accept.accepted_per_s}/s, p50 ${e.accept.p50_ms} ms, p99 ${e.accept.p99_ms} ms`,
      s.accept ? `Redis mode ${s.accept.runyard.accepted_per_s}/s, p99 ${s.accept.runyard.p99_ms} ms` : '',
      'reported',
    ]);
    rows.push([
      `embedded drain (${e.drain_runs}+ runs, 1 process)`,
      `${e.drain_per_s} runs/s`,
      s.drain?.by_workers[1] ? `Redis mode, 1 worker: ${s.drain.by_workers[1].runyard_per_s} runs/s` : '',
      'reported',
    ]);
    if (e.startup) {
      rows.push([
        'embedded start-up (to /health/ready)',
        `cold ${e.startup.cold_ms} ms (PostgreSQL with initdb ${e.startup.cold_server_ms} ms), warm ${e.startup.warm_ms} ms (PostgreSQL ${e.startup.warm_server_ms} ms)`,
        '',
        'reported',
      ]);
    }
  }
  const head = ['scenario', 'Runyard', 'baseline (same run)', 'target'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
  return lines.join('\n');
}

function machine() {
  let commit;
  let dirty = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: APP_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    dirty = execFileSync('git', ['status', '--porcelain', '--', 'apps', 'libs'], { cwd: APP_ROOT, encoding: 'utf8' }).trim() !== '';
  } catch {
    commit = process.env.RUNYARD_BENCH_COMMIT ?? null; // an exported tree: the caller says which commit
  }
  const versions = {};
  try {
    versions.postgres = execFileSync('psql', ['-At', POSTGRES_ADMIN_URL, '-c', 'SHOW server_version'], { encoding: 'utf8' }).trim();
  } catch {
    /* no psql */
  }
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    memory_gib: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    commit,
    app_code_uncommitted_changes: dirty,
    app_root: APP_ROOT,
    loadavg_at_start: os.loadavg().map((x) => round(x, 2)),
    ...versions,
  };
}

async function cleanup() {
  await Promise.allSettled([...live].map((p) => p.stop()));
  try {
    const fd = fs.openSync(GATE, fs.constants.O_RDWR | fs.constants.O_NONBLOCK); // any gate run still waiting ends
    await sleep(50);
    fs.closeSync(fd);
  } catch {
    /* gone */
  }
  for (const name of [...databases]) await dropDatabase(name).catch((e) => log(`dropping ${name}: ${e.message}`));
  await flushRedis().catch(() => undefined);
  agent.destroy();
  if (!KEEP) fs.rmSync(TMP, { recursive: true, force: true });
  else log(`kept ${TMP}`);
}

async function main() {
  if (!fs.existsSync(API_MAIN)) throw new Error('dist/ is missing: run `npm run build` first');
  const started = Date.now();
  results.machine = machine();
  results.mode = QUICK ? 'quick' : 'full';
  results.reps = REPS;
  results.sizes = SIZES;
  results.started_at = new Date().toISOString();
  const run = {
    accept: scenarioAccept,
    dispatch: scenarioDispatch,
    drain: scenarioDrain,
    output: scenarioOutput,
    history: scenarioHistory,
    embedded: scenarioEmbedded,
  };
  for (const name of SCENARIOS) {
    if (!ONLY.includes(name)) continue;
    const t = Date.now();
    const load = os.loadavg()[0];
    log(`scenario ${name}… (load average ${load.toFixed(2)})`);
    try {
      await run[name]();
    } catch (e) {
      results.scenarios[name] = { error: e.stack ?? String(e) };
      log(`scenario ${name} failed: ${e.stack ?? e}`);
    }
    if (results.scenarios[name]) {
      results.scenarios[name].scenario_s = round((Date.now() - t) / 1000, 1);
      // Other processes on the machine share its CPUs: a load above the benchmark's own shows it.
      results.scenarios[name].loadavg_1m = { before: round(load, 2), after: round(os.loadavg()[0], 2) };
    }
  }
  results.total_s = round((Date.now() - started) / 1000, 1);
  if (PROFILE) results.profiles = profiles.filter((p) => fs.existsSync(p.file)).map((p) => ({ name: p.name, ...summarizeProfile(p.file) }));
  results.table = table();
  fs.mkdirSync(join(BENCH, 'results'), { recursive: true });
  const file = join(BENCH, 'results', QUICK ? 'quick.json' : PROFILE ? 'profile.json' : 'latest.json');
  if (MERGE && fs.existsSync(file)) {
    // --merge: the scenarios of this run replace theirs in the file; the others stay as they were.
    const earlier = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const [k, v] of Object.entries(earlier.scenarios ?? {})) if (!(k in results.scenarios)) results.scenarios[k] = v;
    results.merged_from = [
      ...(earlier.merged_from ?? [{ started_at: earlier.started_at, scenarios: Object.keys(earlier.scenarios ?? {}) }]),
    ];
    results.merged_from.push({ started_at: results.started_at, scenarios: ONLY });
    results.table = table();
  }
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(results.table);
  console.log(`\n${results.mode} run in ${results.total_s} s on ${results.machine.cpus} CPUs; figures in ${file}`);
  const failed = Object.entries(results.scenarios).filter(([, v]) => v.error);
  return failed.length === 0 ? 0 : 1;
}

let code = 1;
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
process.once('SIGTERM', () => void cleanup().finally(() => process.exit(143)));
try {
  code = await main();
} catch (e) {
  log(e.stack ?? e);
} finally {
  await cleanup();
}
process.exit(code);
