// The Runner SDK's figures: warm call round trip (p50, p99) from TypeScript and Python, and the calls/s
// of a stateless function served by two executors on two worker processes.
// `npm run build && node bench/runner-sdk.mjs [--quick]`; results in bench/results/runner-sdk.json.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { fetch } = globalThis;
const QUICK = process.argv.includes('--quick');
const POSTGRES = process.env.RUNYARD_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = `${process.env.RUNYARD_BENCH_REDIS ?? 'redis://127.0.0.1:6379'}/${process.env.RUNYARD_BENCH_REDIS_DB ?? '12'}`;
const N = { warmup: QUICK ? 20 : 200, rtt: QUICK ? 100 : 2000, burst: QUICK ? 500 : 20000, pythonRtt: QUICK ? 50 : 1000 };

const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const round = (x) => Math.round(x * 100) / 100;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function admin(sql) {
  const c = new pg.Client({ connectionString: POSTGRES });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function main() {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'runyard-bench-sdk-'));
  // Executors run as accounts of their own (Runyard as root): they pass through to their run directories.
  fs.chmodSync(dir, 0o711);
  const dbName = `runyard_bench_sdk_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${dbName}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    HOST: '127.0.0.1',
    AUTH_MODE: 'none',
    LOG_LEVEL: 'warn',
    DATABASE_URL: POSTGRES.replace(/\/[^/]*$/, `/${dbName}`),
    REDIS_URL: REDIS,
    QUEUE_PREFIX: `bench-sdk-${randomBytes(3).toString('hex')}`,
    RUNYARD_DATA_DIR: join(dir, 'data'),
    RUNYARD_CONFIG: join(dir, 'none.yaml'),
  };
  fs.writeFileSync(
    env.RUNYARD_CONFIG,
    'RUNNER_CONFIGURATION:\n  PROFILES:\n    LOCAL:\n      RUNNER_TYPE: LOCAL\n      MODULE_LOADER_TYPE: NO_MODULE\n      SDK_RUNTIMES: [node, python]\n',
  );
  const procs = [];
  const launch = (main, extra) => {
    const log = fs.openSync(join(dir, `${procs.length}.log`), 'a');
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', main, 'main.js')], {
      env: { ...env, ...extra },
      stdio: ['ignore', log, log],
    });
    procs.push(child);
    return child;
  };
  launch('api', { RUNYARD_ROLE: 'api' });
  for (
    let i = 0;
    i < 50 &&
    !(await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    ));
    i++
  )
    await sleep(200);
  // One run slot each: the stateless function's two executors are held by two worker processes.
  launch('worker', { RUN_CONCURRENCY: '1' });
  launch('worker', { RUN_CONCURRENCY: '1' });
  await sleep(2000);

  // The client's project: the code served, exported from a module of the package, the SDK installed in it.
  const project = join(dir, 'project');
  fs.mkdirSync(join(project, 'node_modules', '@runyard'), { recursive: true });
  fs.symlinkSync(join(ROOT, 'packages', 'sdk'), join(project, 'node_modules', '@runyard', 'sdk'));
  fs.writeFileSync(
    join(project, 'services.cjs'),
    "const { remote } = require('@runyard/sdk');\n" +
      'exports.echo = remote((x) => x);\n' +
      'exports.Counter = remote(class Counter { constructor() { this.n = 0; } add(k) { this.n += k; return this.n; } });\n',
  );
  const require = createRequire(join(project, 'services.cjs'));
  const { Runner } = require('@runyard/sdk');
  const { echo, Counter } = require('./services.cjs');
  const results = { machine: { cpus: os.cpus().length, load: os.loadavg() }, quick: QUICK, at: new Date().toISOString() };

  try {
    const rr = await Runner.open('bench-sdk', { root: project, url });
    try {
      const roundTrips = async (call) => {
        for (let i = 0; i < N.warmup; i++) await call(i);
        const ms = [];
        for (let i = 0; i < N.rtt; i++) {
          const t = performance.now();
          await call(i);
          ms.push(performance.now() - t);
        }
        return { calls: N.rtt, p50_ms: round(percentile(ms, 50)), p99_ms: round(percentile(ms, 99)) };
      };
      const fn = await rr.service(echo);
      results.ts_function_rtt = await roundTrips((i) => fn(i));
      await fn.close();
      const counter = await rr.service(Counter);
      results.ts_ordered_rtt = await roundTrips(() => counter.add(1));
      await counter.close();
      await sleep(1000); // their executors exit and free their workers' slots

      const wide = await rr.service(echo, { replicas: 2 });
      for (let i = 0; i < N.warmup; i++) await wide(i);
      const t0 = performance.now();
      const out = await Promise.all(Array.from({ length: N.burst }, (_, i) => wide(i)));
      const secs = (performance.now() - t0) / 1000;
      if (!out.every((v, i) => v === i)) throw new Error('a stateless call answered wrongly');
      const runs = (await (await fetch(`${url}/api/v1/sessions/${wide.sessionId}`)).json()).run_ids;
      const db = new pg.Client({ connectionString: env.DATABASE_URL });
      await db.connect();
      const held = (await db.query(`SELECT id, worker_id FROM runs WHERE id = ANY($1)`, [runs])).rows;
      await db.end();
      results.stateless_two_workers = {
        calls: N.burst,
        seconds: round(secs),
        calls_per_s: Math.round(N.burst / secs),
        executor_runs: runs,
        workers_holding_them: new Set(held.map((r) => r.worker_id)).size,
      };
      await wide.close();
      await sleep(1000);
    } finally {
      await rr.close();
    }

    // Python: the same warm round trip from the Python client (sequential calls, each awaited with get()).
    fs.writeFileSync(
      join(project, 'rtt.py'),
      `import json, sys, time
from runyard import Runner

def echo(x):
    return x

with Runner("bench-sdk-py") as rr:
    s = rr.service(echo)
    for i in range(${N.warmup}):
        s(i).get()
    ms = []
    for i in range(${N.pythonRtt}):
        t = time.perf_counter()
        s(i).get()
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    print(json.dumps({"calls": len(ms), "p50_ms": round(ms[len(ms) // 2], 2), "p99_ms": round(ms[int(len(ms) * 0.99)], 2)}))
`,
    );
    const py = execFileSync('python3', ['rtt.py'], {
      cwd: project,
      env: { ...process.env, PYTHONPATH: join(ROOT, 'clients', 'python'), RUNYARD_URL: url },
    });
    results.python_function_rtt = JSON.parse(py.toString());
  } finally {
    results.machine.load_after = os.loadavg();
    for (const p of procs.reverse()) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)))));
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(
    join(ROOT, 'bench', 'results', QUICK ? 'runner-sdk-quick.json' : 'runner-sdk.json'),
    JSON.stringify(results, null, 2) + '\n',
  );
  console.log(JSON.stringify(results, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
