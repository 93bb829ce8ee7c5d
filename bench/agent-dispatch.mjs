#!/usr/bin/env node
/* global fetch */
// Dispatch latency through a runner agent (issue 12): POST /api/v1/scripts/run → the script's own
// start stamp ($EPOCHREALTIME) on the agent, next to the same script on the worker's machine (LOCAL),
// and the agent's memory. Build first (`npm run build`), then `node bench/agent-dispatch.mjs [--runs=N]
// [--rate=N]`. Real Postgres and Redis on loopback; everything it starts it stops, its database dropped.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const opt = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const RUNS = opt('runs', 50);
const RATE = opt('rate', 10);
const TOKEN = `bench-${randomBytes(12).toString('hex')}`;
const POSTGRES = process.env.RUNYARD_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = `${process.env.RUNYARD_BENCH_REDIS ?? 'redis://127.0.0.1:6379'}/12`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const freePort = () =>
  new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

const dir = fs.mkdtempSync(join(os.tmpdir(), 'runyard-agent-bench-'));
const children = [];
const start = (main, env, name) => {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', main, 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(join(dir, `${name}.log`));
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  children.push(child);
  return child;
};

async function api(url, method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** RUNS script runs at RATE per second (open loop); latency = the script's own start stamp − the time the POST was sent. */
async function measure(url, where) {
  const sent = [];
  for (let i = 0; i < RUNS; i++) {
    const t = Date.now();
    sent.push(
      api(url, 'POST', '/api/v1/scripts/run', { language: 'shell', code: 'echo "$EPOCHREALTIME"', ...where }).then((r) => ({
        id: r.id,
        t,
      })),
    );
    await sleep(1000 / RATE);
  }
  const latencies = [];
  for (const { id, t } of await Promise.all(sent)) {
    for (;;) {
      const r = await api(url, 'GET', `/api/v1/runs/${id}`);
      if (['COMPLETED', 'FAILED', 'LOST', 'TERMINATED'].includes(r.status)) break;
      await sleep(50);
    }
    const stamp = Number(String(await api(url, 'GET', `/api/v1/runs/${id}/logs`)).trim()) * 1000;
    latencies.push(stamp - t);
  }
  return {
    runs: RUNS,
    rate_per_s: RATE,
    p50_ms: +pct(latencies, 50).toFixed(1),
    p99_ms: +pct(latencies, 99).toFixed(1),
    max_ms: +Math.max(...latencies).toFixed(1),
  };
}

const kbOf = (pid, key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
/** The agent's own memory, and its spawn helper's (a child process of its own, the LOCAL runner's). */
const rssOf = (pid) => {
  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  const helper = children.reduce((n, c) => n + kbOf(c, 'VmRSS'), 0);
  return {
    rss_mib: +(kbOf(pid, 'VmRSS') / 1024).toFixed(1),
    peak_rss_mib: +(kbOf(pid, 'VmHWM') / 1024).toFixed(1),
    spawn_helper_rss_mib: +(helper / 1024).toFixed(1),
  };
};

const db = `runyard_agent_bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: POSTGRES });
await admin.connect();
await admin.query(`CREATE DATABASE ${db}`);
try {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dbUrl = new URL(POSTGRES);
  dbUrl.pathname = `/${db}`;
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? '/root',
    PORT: String(port),
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: REDIS,
    QUEUE_PREFIX: `agent-bench-${randomBytes(3).toString('hex')}`,
    RUNYARD_BOOTSTRAP_TOKEN: TOKEN,
    RUNYARD_DATA_DIR: join(dir, 'data'),
    RUNYARD_CONFIG: join(dir, 'none.yaml'),
    LOG_LEVEL: 'warn',
  };
  fs.writeFileSync(env.RUNYARD_CONFIG, 'RUNNER_CONFIGURATION:\n  PROFILES: {}\n');
  start('api', { ...env, RUNYARD_ROLE: 'api' }, 'api');
  for (
    let i = 0;
    i < 300 &&
    !(await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    ));
    i++
  )
    await sleep(100);
  start('worker', env, 'worker');
  const { secret } = await api(url, 'POST', '/api/v1/agents', { id: 'bench', tags: ['bench'], max_concurrency: 16 });
  const agent = start(
    'agent',
    {
      PATH: process.env.PATH,
      HOME: env.HOME,
      RUNYARD_URL: url,
      RUNYARD_AGENT_ID: 'bench',
      RUNYARD_AGENT_SECRET: secret,
      RUNYARD_AGENT_STATE_DIR: join(dir, 'agent'),
      RUNYARD_AGENT_CONCURRENCY: '16',
    },
    'agent',
  );
  for (let i = 0; i < 100 && (await api(url, 'GET', '/api/v1/agents/bench')).status !== 'online'; i++) await sleep(100);
  const idle = rssOf(agent.pid);
  const loadBefore = +os.loadavg()[0].toFixed(2);
  await measure(url, { tags: ['bench'] }); // warm-up: connections, JIT
  const onAgent = await measure(url, { tags: ['bench'] });
  const local = await measure(url, {});
  const results = {
    machine: { cpus: os.cpus().length, node: process.version, load_average_1m: [loadBefore, +os.loadavg()[0].toFixed(2)] },
    agent: onAgent,
    local,
    agent_memory: { idle, after: rssOf(agent.pid) },
  };
  console.log(JSON.stringify(results, null, 2));
  fs.mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(join(ROOT, 'bench', 'results', 'agent-dispatch.json'), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await sleep(1500);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.end();
  fs.rmSync(dir, { recursive: true, force: true });
}
