#!/usr/bin/env node
/* global fetch */
// Scripts against Automn, side by side (issue 25): the same trivial Node script through a stock Automn
// host + runner (`POST /s/<endpoint>`, which answers with the script's return value) and through
// Runyard, on the LOCAL runner and on a runner agent, the client waiting for the result as
// `runyard script run --wait` does (POST /api/v1/scripts/run, follow its log to the result frame,
// read the return value), and in one request as Automn's (the POST's `wait`: the answer is the ended
// run). Sequential p50/p99, runs/s with 8 concurrent clients, and every run checked executed exactly
// once (each appends its unique id to a log file).
//
//   AUTOMN_ROOT=/opt/automn node bench/automn.mjs [--quick] [--agent-slots=N] [--keep]
//
// Every system may hold 8 runs at once (Automn's AUTOMN_MAX_WORKERS and runner concurrency, Runyard's
// RUN_CONCURRENCY and the agent's slots; --agent-slots changes the agent's alone). CPU per run is that
// of the systems' own processes and their children (the scripts); Runyard's share of PostgreSQL and
// Redis is not in it (machine_postgres_redis_cpu_ms_per_run: what those used meanwhile, by anyone; a
// backend that exits meanwhile takes its time with it, so on a busy machine it can even be negative).
//
// AUTOMN_ROOT is a copy of Automn (github.com/AutomNexus/Automn) with its dependencies installed
// (`npm ci --omit=dev`), outside this repository; without it the benchmark says "skipped" and exits 0.
// Its files are copied into a temporary directory per run (Automn keeps its SQLite database beside its
// code), so every run starts from a fresh database on both sides. Build Runyard first (`npm run build`).
// Real Postgres (a fresh database, dropped) and Redis (db 12, a queue prefix of its own, removed);
// loopback only; everything it starts it stops. Results in bench/results/automn.json
// (automn-agent-slots-N.json with --agent-slots=N, -quick with --quick).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import IORedis from 'ioredis';
import pg from 'pg';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = process.argv.includes('--quick');
const N = QUICK ? { warmup: 3, sequential: 10, concurrent: 24 } : { warmup: 20, sequential: 200, concurrent: 400 };
const CLIENTS = 8;
/** Every system may hold this many runs at once, so none caps the 8 clients: Automn's host and runner, Runyard's worker and agent. */
const CONCURRENCY = 8;
/** The agent's slots (`--agent-slots=N`, default CONCURRENCY): more than the clients keeps its long poll from ever asking for none. */
const AGENT_SLOTS = Number(process.argv.find((a) => a.startsWith('--agent-slots='))?.split('=')[1] ?? CONCURRENCY);
const POSTGRES = process.env.RUNYARD_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = `${process.env.RUNYARD_BENCH_REDIS ?? 'redis://127.0.0.1:6379'}/${process.env.RUNYARD_BENCH_REDIS_DB ?? '12'}`;
const TOKEN = `bench-${randomBytes(12).toString('hex')}`;
const WORKER_NODE_FLAGS = JSON.parse(fs.readFileSync(join(ROOT, 'package.json'), 'utf8'))
  .scripts['start:worker'].split(' ')
  .filter((a) => a.startsWith('--'));

/**
 * The script both run: it appends its id to the log its input names (the exactly-once check), and
 * returns its id with its process's start time and its end, for the latency split.
 */
const SCRIPT = `const fs = require('fs');
const input = JSON.parse(process.env.INPUT_JSON || '{}');
fs.appendFileSync(input.log, input.id + '\\n');
AutomnReturn({ ok: 1, id: input.id, started: performance.timeOrigin, ended: Date.now() });
`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();
const round = (x) => Math.round(x * 10) / 10;
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const median = (xs) => (xs.length ? round(pct(xs, 50)) : null);

const freePort = () =>
  new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

async function until(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await check().catch(() => false);
    if (ok) return ok;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function request(url, { method = 'GET', headers = {}, body } = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: reported below with the text
  }
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { res, json, text };
}

// ---------------------------------------------------------------------------------------------------
// Processes: started with their output in the temporary directory, all stopped at the end

/** The temporary directory: logs, Automn's copy, Runyard's data directory, the id logs (made in main). */
let dir;
const children = [];

function launch(name, args, env, cwd) {
  const log = fs.openSync(join(dir, `${name}.log`), 'a');
  const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', log, log] });
  child.benchName = name;
  children.push(child);
  return child;
}

async function stop(procs) {
  for (const c of procs) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  const gone = (c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', r)));
  await Promise.race([Promise.all(procs.map(gone)), sleep(5000)]);
  for (const c of procs) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(procs.map(gone));
}

/** CPU ms (user + system) of a process and its descendants, the children they have reaped included. */
function treeCpuMs(pid) {
  let total = 0;
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
    for (const t of fs.readdirSync(`/proc/${pid}/task`))
      for (const c of fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) total += treeCpuMs(c);
  } catch {
    // gone meanwhile: its time is in its parent's reaped children
  }
  return total;
}

/** CPU ms used so far by the machine's PostgreSQL and Redis processes: shared services, so other work on the machine counts too. */
function servicesCpuMs() {
  let total = 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (name.startsWith('postgres') || name.startsWith('redis')) total += (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------------
// The measurement, the same for every system: `run(id)` executes the script once and answers what
// it returned, with the client's send and answer times

/** A fresh append-only log the runs of one system write their ids to, writable by runs of any uid. */
function newLog(name) {
  const path = join(dir, `${name}.ids`);
  fs.writeFileSync(path, '');
  fs.chmodSync(path, 0o666);
  return path;
}

/** Each id submitted appears in the log exactly once, and nothing else does. */
function exactlyOnce(path, ids) {
  const counts = new Map();
  for (const line of fs.readFileSync(path, 'utf8').split('\n').filter(Boolean)) counts.set(line, (counts.get(line) ?? 0) + 1);
  const expected = new Set(ids);
  const missing = ids.filter((id) => !counts.has(id));
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const unexpected = [...counts.keys()].filter((id) => !expected.has(id));
  return {
    runs: ids.length,
    lines: [...counts.values()].reduce((a, b) => a + b, 0),
    missing: missing.length,
    executed_twice: twice.length,
    unexpected: unexpected.length,
    ok: missing.length === 0 && twice.length === 0 && unexpected.length === 0,
    ...(missing.length || twice.length || unexpected.length
      ? { examples: { missing: missing.slice(0, 5), twice: twice.slice(0, 5) } }
      : {}),
  };
}

/** The latency split every system has: send → the script's process started → the script returned → the client has the value. */
function split(all) {
  const samples = all.filter((s) => s.ok);
  return {
    send_to_process_start_ms: median(samples.map((s) => s.ret.started - s.sent)),
    process_start_to_script_end_ms: median(samples.map((s) => s.ret.ended - s.ret.started)),
    script_end_to_answer_ms: median(samples.map((s) => s.answered - s.ret.ended)),
  };
}

/**
 * One system under test: its runs, their answers and its id log. The systems are measured in rounds
 * interleaved with each other's (main), so that a change in the machine's load meanwhile falls on all.
 */
function subject(name, run, pids, { concurrent = true } = {}) {
  const log = newLog(name);
  const ids = [];
  const wrong = [];
  const seq = [];
  const conc = [];
  const totals = { secs: 0, cpuMs: 0, servicesMs: 0 };
  // A run whose answer is an error or lacks its return value is counted (and shown), not retried.
  const once = async (phase, i) => {
    const id = `${name}-${phase}-${i}`;
    ids.push(id);
    const sent = now();
    let out;
    try {
      out = await run(id, log);
    } catch (e) {
      out = { error: e.message };
    }
    const answered = now();
    const ok = out.ret?.id === id && out.ret?.ok === 1;
    if (!ok) wrong.push({ id, answer: out.error ?? JSON.stringify(out.body ?? out.ret ?? null).slice(0, 300) });
    return { id, sent, answered, ok, ...out };
  };
  return {
    name,
    concurrent,
    samples: { seq, conc },
    async warmup() {
      for (let i = 0; i < N.warmup; i++) await once('warmup', i);
    },
    async sequential(from, n) {
      for (let i = from; i < from + n; i++) seq.push(await once('seq', i));
    },
    /** Runs `from` … `from + n - 1` by CLIENTS clients as fast as they can; the time and CPU it took added up. */
    async concurrently(from, n) {
      const cpuBefore = pids().reduce((sum, pid) => sum + treeCpuMs(pid), 0);
      const servicesBefore = servicesCpuMs();
      let next = from;
      const t0 = now();
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < from + n) conc.push(await once('conc', next++));
        }),
      );
      totals.secs += (now() - t0) / 1000;
      totals.cpuMs += pids().reduce((sum, pid) => sum + treeCpuMs(pid), 0) - cpuBefore;
      totals.servicesMs += servicesCpuMs() - servicesBefore;
    },
    figures() {
      const seqMs = seq.map((x) => x.answered - x.sent);
      const concMs = conc.map((x) => x.answered - x.sent);
      return {
        sequential: { runs: seq.length, p50_ms: round(pct(seqMs, 50)), p99_ms: round(pct(seqMs, 99)), split: split(seq) },
        concurrent: conc.length
          ? {
              clients: CLIENTS,
              runs: conc.length,
              seconds: round(totals.secs),
              runs_per_s: round(conc.length / totals.secs),
              p50_ms: round(pct(concMs, 50)),
              p99_ms: round(pct(concMs, 99)),
              cpu_ms_per_run: round(totals.cpuMs / conc.length),
              machine_postgres_redis_cpu_ms_per_run: round(totals.servicesMs / conc.length),
              split: split(conc),
            }
          : null,
        wrong_answers: wrong.length,
        ...(wrong.length ? { wrong_answer_examples: wrong.slice(0, 5) } : {}),
        exactly_once: exactlyOnce(log, ids),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Automn: a stock host and runner from AUTOMN_ROOT

function automnRoot() {
  const root = process.env.AUTOMN_ROOT ? resolve(process.env.AUTOMN_ROOT) : null;
  if (!root) return { skip: 'AUTOMN_ROOT is not set (a copy of github.com/AutomNexus/Automn with `npm ci --omit=dev` run in it)' };
  for (const f of ['server.js', 'constants.js', 'runner/service.js', 'node_modules/sqlite3', 'node_modules/express'])
    if (!fs.existsSync(join(root, f)))
      return { skip: `AUTOMN_ROOT=${root} has no ${f} (an Automn checkout with its dependencies installed?)` };
  return { root };
}

/**
 * A copy of Automn's code with a fresh data directory: its host keeps the SQLite database under
 * its own directory, `data/`. The dependencies are linked, not copied.
 */
function automnCopy(root) {
  const copy = join(dir, 'automn');
  const skip = new Set(['node_modules', 'data', 'frontend', 'screenshots', '.git', join('runner', 'data'), 'logs']);
  fs.cpSync(root, copy, { recursive: true, filter: (src) => !skip.has(relative(root, src)) });
  fs.symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  // Automn listens on every interface; the benchmark stays on loopback (a preload, Automn unchanged).
  fs.writeFileSync(
    join(dir, 'loopback.cjs'),
    `const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const port = typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\\d+$/.test(args[0]));
  if (port && typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  return listen.apply(this, args);
};
`,
  );
  return copy;
}

/** A stock Automn host and runner, first-run set up through its HTTP API as its README's steps do, and the script. */
async function startAutomn(root) {
  const copy = automnCopy(root);
  const [port, runnerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const base = { PATH: process.env.PATH, HOME: process.env.HOME ?? '/root', NODE_ENV: 'production' };
  const preload = ['-r', join(dir, 'loopback.cjs')];
  const host = launch(
    'automn-host',
    [...preload, 'server.js'],
    { ...base, PORT: String(port), AUTOMN_MAX_WORKERS: String(CONCURRENCY) },
    copy,
  );

  // First run: the default admin must change its password before anything else.
  const login = (password) =>
    fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
  const first = await until('the Automn host', async () => {
    const r = await login('scriptfall');
    return r.ok && r;
  });
  const cookie = first.headers.get('set-cookie').split(';')[0];
  const admin = { cookie };
  await request(`${url}/api/auth/change-password`, {
    method: 'POST',
    headers: admin,
    body: { currentPassword: 'scriptfall', newPassword: `bench-${randomBytes(8).toString('hex')}` },
  });
  const secret = randomBytes(24).toString('hex');
  await request(`${url}/api/settings/runner-hosts`, { method: 'POST', headers: admin, body: { id: 'bench', name: 'bench', secret } });
  const state = join(dir, 'automn-runner');
  const runner = launch(
    'automn-runner',
    [...preload, join('runner', 'service.js')],
    {
      ...base,
      AUTOMN_HOST_URL: url,
      AUTOMN_RUNNER_ID: 'bench',
      AUTOMN_RUNNER_SECRET: secret,
      AUTOMN_RUNNER_PORT: String(runnerPort),
      AUTOMN_RUNNER_PUBLIC_URL: `http://127.0.0.1:${runnerPort}`,
      AUTOMN_RUNNER_STATE_DIR: join(state, 'state'),
      AUTOMN_RUNNER_SCRIPTS_DIR: join(state, 'scripts'),
      AUTOMN_RUNNER_WORKDIR: join(state, 'workdir'),
      AUTOMN_RUNNER_MAX_CONCURRENCY: String(CONCURRENCY),
      AUTOMN_RUNNER_LOCAL_MAX_CONCURRENCY: String(CONCURRENCY),
    },
    copy,
  );
  await until('the Automn runner to register', async () => {
    const { json } = await request(`${url}/api/settings/runner-hosts`, { headers: admin });
    return json.runnerHosts?.find((h) => h.id === 'bench')?.status === 'healthy';
  });
  const { json: script } = await request(`${url}/api/scripts`, {
    method: 'POST',
    headers: admin,
    body: {
      name: 'bench',
      endpoint: 'bench',
      language: 'node',
      code: SCRIPT,
      runnerHostId: 'bench',
      inheritCategoryRunner: false,
      acceptedMethods: ['POST'],
    },
  });
  // The script's endpoint requires its bearer token, as a caller of /s/<endpoint> sends it.
  const { json: token } = await request(`${url}/api/scripts/${script.id}/token`, { headers: admin });
  const caller = { authorization: `Bearer ${token.token}` };

  return subject(
    'automn',
    async (id, log) => {
      const { json } = await request(`${url}/s/bench`, { method: 'POST', headers: caller, body: { id, log } });
      return { ret: json.return, body: json };
    },
    () => [host.pid, runner.pid],
  );
}

// ---------------------------------------------------------------------------------------------------
// Runyard: API, one worker (LOCAL), one pull agent

/** Runyard's processes; what they leave in Postgres and Redis is removed by the cleanup pushed to `cleanups`. */
async function startRunyard(cleanups) {
  const db = `runyard_bench_automn_${randomBytes(4).toString('hex')}`;
  const prefix = `bench-automn-${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  cleanups.push(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    const redis = new IORedis(REDIS, { maxRetriesPerRequest: 1 });
    try {
      for (let cursor = '0'; ;) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length) await redis.del(...keys);
        if ((cursor = next) === '0') break;
      }
    } finally {
      redis.disconnect();
    }
  });
  const procs = [];
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dbUrl = new URL(POSTGRES);
  dbUrl.pathname = `/${db}`;
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? '/root',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: REDIS,
    QUEUE_PREFIX: prefix,
    RUNYARD_BOOTSTRAP_TOKEN: TOKEN,
    RUNYARD_DATA_DIR: join(dir, 'runyard'),
    RUNYARD_CONFIG: join(dir, 'runyard.yaml'),
    LOG_LEVEL: 'warn',
  };
  fs.writeFileSync(
    env.RUNYARD_CONFIG,
    'RUNNER_CONFIGURATION:\n  PROFILES:\n    LOCAL:\n      RUNNER_TYPE: LOCAL\n      MODULE_LOADER_TYPE: NO_MODULE\n      SCRIPT_RUNTIMES: [node]\n',
  );
  const auth = { authorization: `Bearer ${TOKEN}` };
  const dist = (app) => join(ROOT, 'dist', 'apps', app, 'main.js');
  procs.push(launch('runyard-api', [dist('api')], { ...env, RUNYARD_ROLE: 'api' }));
  await until('the Runyard API', async () => (await fetch(`${url}/health/ready`)).ok);
  procs.push(launch('runyard-worker', [...WORKER_NODE_FLAGS, dist('worker')], { ...env, RUN_CONCURRENCY: String(CONCURRENCY) }));
  const { json: agent } = await request(`${url}/api/v1/agents`, {
    method: 'POST',
    headers: auth,
    body: { id: 'bench', tags: ['bench'], max_concurrency: AGENT_SLOTS },
  });
  procs.push(
    launch('runyard-agent', [dist('agent')], {
      PATH: env.PATH,
      HOME: env.HOME,
      RUNYARD_URL: url,
      RUNYARD_AGENT_ID: 'bench',
      RUNYARD_AGENT_SECRET: agent.secret,
      RUNYARD_AGENT_STATE_DIR: join(dir, 'agent'),
      RUNYARD_AGENT_CONCURRENCY: String(AGENT_SLOTS),
    }),
  );
  await until('the agent online', async () => (await request(`${url}/api/v1/agents/bench`, { headers: auth })).json.status === 'online');

  // As `runyard script run --wait` waits: submit, follow the log to its result frame, read the return value.
  // `poll`: instead, the client asks for the run every 5 ms (what a prompt wake-up of the follower would give).
  // `request`: one request that waits for the run's end (`wait`), as Automn's /s/ answers with the return value.
  const runScript =
    (where, wait = 'follow') =>
    async (id, log) => {
      const { json: run } = await request(`${url}/api/v1/scripts/run`, {
        method: 'POST',
        headers: auth,
        body: { language: 'node', code: SCRIPT, input: { id, log }, ...where, ...(wait === 'request' ? { wait: 300 } : {}) },
      });
      const accepted = now();
      if (wait === 'request') {
        if (run.status !== 'COMPLETED') throw new Error(`run ${run.id} (${id}) answered ${JSON.stringify(run).slice(0, 300)}`);
        return { ret: run.result?.return_data, runId: run.id, accepted, followed: accepted };
      }
      if (wait === 'poll') {
        for (;;) {
          const { json: r } = await request(`${url}/api/v1/runs/${run.id}`, { headers: auth });
          if (['COMPLETED', 'FAILED', 'LOST', 'TERMINATED'].includes(r.status))
            return { ret: r.result?.return_data, runId: run.id, accepted, followed: now() };
          await sleep(5);
        }
      }
      const { text } = await request(`${url}/api/v1/runs/${run.id}/logs?follow=true`, {
        headers: { ...auth, accept: 'application/x-ndjson' },
      });
      const frame = JSON.parse(text.trim().split('\n').at(-1));
      const followed = now();
      if (frame.type !== 'result' || frame.data.status !== 'COMPLETED') throw new Error(`run ${run.id} (${id}) ended ${text.slice(-300)}`);
      const { json: done } = await request(`${url}/api/v1/runs/${run.id}`, { headers: auth });
      return { ret: done.result?.return_data, runId: run.id, accepted, followed };
    };

  const pids = () => procs.map((p) => p.pid);
  const ways = RUNYARD_WAYS.map((w) => ({
    ...w,
    subject: subject(w.log, runScript(w.runner === 'AGENT' ? { tags: ['bench'] } : {}, w.wait), pids, { concurrent: w.concurrent }),
  }));
  /** The figures, with what the runs table says: runs not COMPLETED, and where the time went. */
  const report = async () => {
    const rows = new pg.Client({ connectionString: env.DATABASE_URL });
    await rows.connect();
    try {
      const figures = {};
      for (const w of ways) {
        const split = await serverSplit(rows, w.subject.samples);
        figures[w.key] = w.concurrent
          ? { ...w.subject.figures(), runs_not_completed: await notCompleted(rows, w.runner), server_split: split }
          : { ...w.subject.figures(), server_split: split.sequential };
      }
      figures.runyard_settings = { RUN_CONCURRENCY: CONCURRENCY, RUNYARD_AGENT_CONCURRENCY: AGENT_SLOTS, max_concurrency: AGENT_SLOTS };
      return figures;
    } finally {
      await rows.end();
    }
  };
  return { subjects: ways.map((w) => w.subject), report };
}

/** Runyard's ways of running the script and waiting for its return value: each is a row of the results. */
const RUNYARD_WAYS = [
  { key: 'runyard_local', name: 'Runyard LOCAL', log: 'local', runner: 'LOCAL', wait: 'follow', concurrent: true },
  { key: 'runyard_agent', name: 'Runyard agent', log: 'agent', runner: 'AGENT', wait: 'follow', concurrent: true },
  {
    key: 'runyard_local_one_request',
    name: 'Runyard LOCAL, one request',
    log: 'local-waited',
    runner: 'LOCAL',
    wait: 'request',
    concurrent: true,
  },
  {
    key: 'runyard_agent_one_request',
    name: 'Runyard agent, one request',
    log: 'agent-waited',
    runner: 'AGENT',
    wait: 'request',
    concurrent: true,
  },
  {
    key: 'runyard_local_polling_client',
    name: 'Runyard LOCAL, client polling',
    log: 'local-polled',
    runner: 'LOCAL',
    wait: 'poll',
    concurrent: false,
  },
];

/** Script runs of a runner that did not end COMPLETED (the runs table is the durable record). */
async function notCompleted(rows, runner) {
  const { rows: r } = await rows.query(
    `SELECT count(*)::int AS n FROM runs WHERE kind = 'script' AND runner = $1 AND status <> 'COMPLETED'`,
    [runner],
  );
  return r[0].n;
}

/**
 * Where a Runyard run's time goes, from its row and the client's clock: the POST (send → row
 * created), the hand-over to the worker or agent (created → claimed), its start (claimed → pid
 * recorded), the run (started → finished), following the log (finished → result frame seen) and
 * reading the return value (→ answered). Medians, sequential and concurrent.
 */
async function serverSplit(rows, samples) {
  const of = async (list) => {
    const { rows: r } = await rows.query(
      `SELECT id, extract(epoch FROM created_at) * 1000 AS created, extract(epoch FROM heartbeat_at) * 1000 AS claimed,
              extract(epoch FROM started_at) * 1000 AS started, extract(epoch FROM finished_at) * 1000 AS finished
         FROM runs WHERE id = ANY($1)`,
      [list.map((s) => s.runId)],
    );
    const byId = new Map(r.map((x) => [Number(x.id), x]));
    const parts = {
      send_to_created: [],
      created_to_claimed: [],
      claimed_to_started: [],
      started_to_finished: [],
      finished_to_result_frame: [],
      result_frame_to_answer: [],
      accepted_after_send: [],
    };
    for (const s of list) {
      const x = byId.get(s.runId);
      if (!x) continue;
      parts.send_to_created.push(x.created - s.sent);
      parts.accepted_after_send.push(s.accepted - s.sent);
      if (x.claimed !== null) parts.created_to_claimed.push(x.claimed - x.created);
      if (x.claimed !== null && x.started !== null) parts.claimed_to_started.push(x.started - x.claimed);
      parts.started_to_finished.push(x.finished - x.started);
      parts.finished_to_result_frame.push(s.followed - x.finished);
      parts.result_frame_to_answer.push(s.answered - s.followed);
    }
    return Object.fromEntries(Object.entries(parts).map(([k, v]) => [`${k}_ms`, median(v.map(Number))]));
  };
  return { sequential: await of(samples.seq), concurrent: await of(samples.conc) };
}

// ---------------------------------------------------------------------------------------------------

async function main() {
  const found = automnRoot();
  if (found.skip) {
    console.log(`skipped: ${found.skip}`);
    return;
  }
  if (!fs.existsSync(join(ROOT, 'dist', 'apps', 'agent', 'main.js'))) throw new Error('build Runyard first: npm run build');
  dir = fs.mkdtempSync(join(os.tmpdir(), 'runyard-bench-automn-'));
  // Runyard's runs execute as uids of their own: they pass through to their run directories and logs.
  fs.chmodSync(dir, 0o711);
  // The host's version as Automn states it (constants.js), read as text.
  const automnVersion = /HOST_VERSION\s*=\s*"([^"]+)"/.exec(fs.readFileSync(join(found.root, 'constants.js'), 'utf8'))?.[1] ?? null;
  const results = {
    machine: { cpus: os.cpus().length, node: process.version, load_average_1m_before: +os.loadavg()[0].toFixed(2) },
    quick: QUICK,
    at: new Date().toISOString(),
    sizes: { ...N, clients: CLIENTS, concurrency: CONCURRENCY },
    automn_host_version: automnVersion,
  };
  const cleanups = [];
  try {
    const automn = await startAutomn(found.root);
    const runyard = await startRunyard(cleanups);
    const subjects = [automn, ...runyard.subjects];
    // Rounds, each system in turn (starting with another one each round): the machine's load drifts.
    const rounds = QUICK ? 2 : 4;
    const turn = (r, list) => list.map((_, k) => list[(k + r) % list.length]);
    for (const x of subjects) await x.warmup();
    for (let r = 0; r < rounds; r++)
      for (const x of turn(r, subjects)) await x.sequential((r * N.sequential) / rounds, N.sequential / rounds);
    for (let r = 0; r < rounds; r++)
      for (const x of turn(
        r,
        subjects.filter((c) => c.concurrent),
      ))
        await x.concurrently((r * N.concurrent) / rounds, N.concurrent / rounds);
    results.automn = {
      settings: { AUTOMN_MAX_WORKERS: CONCURRENCY, AUTOMN_RUNNER_MAX_CONCURRENCY: CONCURRENCY },
      ...automn.figures(),
    };
    Object.assign(results, await runyard.report());
  } finally {
    results.machine.load_average_1m_after = +os.loadavg()[0].toFixed(2);
    await stop(children);
    for (const c of cleanups.reverse()) await c();
    if (!process.argv.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
    else console.error(`kept ${dir}`);
  }
  const row = (name, f) =>
    `${name.padEnd(30)} p50 ${String(f.sequential.p50_ms).padStart(7)} ms  p99 ${String(f.sequential.p99_ms).padStart(7)} ms  ` +
    `${f.concurrent ? String(f.concurrent.runs_per_s).padStart(6) : '     -'} runs/s (${CLIENTS} clients)  ` +
    `exactly once: ${f.exactly_once.ok ? 'yes' : 'NO'}  wrong answers: ${f.wrong_answers}`;
  console.log(JSON.stringify(results, null, 2));
  console.log([row('Automn /s/', results.automn), ...RUNYARD_WAYS.map((w) => row(w.name, results[w.key]))].join('\n'));
  fs.mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const file = `automn${AGENT_SLOTS !== CONCURRENCY ? `-agent-slots-${AGENT_SLOTS}` : ''}${QUICK ? '-quick' : ''}.json`;
  fs.writeFileSync(join(ROOT, 'bench', 'results', file), `${JSON.stringify(results, null, 2)}\n`);
  const failed = ['automn', ...RUNYARD_WAYS.map((w) => w.key)].filter((k) => !results[k].exactly_once.ok);
  if (failed.length) {
    console.error(`not exactly once: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
