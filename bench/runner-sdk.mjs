// The Runner SDK's figures: warm call round trip (p50, p99) from TypeScript and Python next to one bare HTTP
// round trip between two processes on loopback (the baseline), the calls/s of a stateless function served by
// two executors on two worker processes, and the time to submit 1,000 calls. Each scenario checks that no call
// was lost or executed twice (answers equal their inputs, a counter instance ends at its number of calls, no
// call was tried again).
// `npm run build && node bench/runner-sdk.mjs [--quick]`; results in bench/results/runner-sdk.json.
// RUNYARD_BENCH_ROOT=DIR benchmarks another checkout's build (side by side with this one's baseline).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const APP_ROOT = process.env.RUNYARD_BENCH_ROOT ?? ROOT;
const { fetch } = globalThis;
const QUICK = process.argv.includes('--quick');
const POSTGRES = process.env.RUNYARD_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = `${process.env.RUNYARD_BENCH_REDIS ?? 'redis://127.0.0.1:6379'}/${process.env.RUNYARD_BENCH_REDIS_DB ?? '12'}`;
const N = { warmup: QUICK ? 20 : 200, rtt: QUICK ? 100 : 2000, burst: QUICK ? 500 : 20000, pythonRtt: QUICK ? 50 : 1000, submit: 1000 };

const CLOCK_TICKS = 100; // USER_HZ of /proc/<pid>/stat on Linux
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
    const child = spawn(process.execPath, [join(APP_ROOT, 'dist', 'apps', main, 'main.js')], {
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
  fs.symlinkSync(join(APP_ROOT, 'packages', 'sdk'), join(project, 'node_modules', '@runyard', 'sdk'));
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

  // The baseline: one HTTP round trip between two processes on loopback (a bare node server answering the body).
  const baselinePort = await freePort();
  const baseline = spawn(
    process.execPath,
    [
      '-e',
      `require('http').createServer((q, r) => { const b = []; q.on('data', (c) => b.push(c)); q.on('end', () => r.end(Buffer.concat(b))); }).listen(${baselinePort}, '127.0.0.1')`,
    ],
    { stdio: 'ignore' },
  );
  procs.push(baseline);
  const baselineUrl = `http://127.0.0.1:${baselinePort}/`;
  for (
    let i = 0;
    i < 100 &&
    !(await fetch(baselineUrl, { method: 'POST', body: '{}' }).then(
      (r) => r.ok,
      () => false,
    ));
    i++
  )
    await sleep(100);
  const db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  /** Calls of the session that did not end done on their first try: lost, failed or run again. */
  const notOnce = async (sessionId) =>
    Number(
      (await db.query(`SELECT count(*) AS n FROM sdk_calls WHERE session_id = $1 AND (state <> 'done' OR attempt > 0)`, [sessionId]))
        .rows[0].n,
    );

  try {
    /** The API process's CPU time so far (user + system), in ms: what a call costs it, whatever else the machine does. */
    const apiCpuMs = () => {
      const f = fs.readFileSync(`/proc/${procs[0].pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
    };
    const roundTrips = async (call, n = N.rtt) => {
      for (let i = 0; i < N.warmup; i++) await call(i);
      const ms = [];
      const cpu0 = apiCpuMs();
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await call(i);
        ms.push(performance.now() - t);
      }
      const apiCpu = (apiCpuMs() - cpu0) / n;
      return { calls: n, p50_ms: round(percentile(ms, 50)), p99_ms: round(percentile(ms, 99)), api_cpu_ms_per_call: round(apiCpu) };
    };
    // The baseline's client is node:http on a kept-alive connection, as the TypeScript SDK's.
    const agent = new http.Agent({ keepAlive: true });
    const bare = (body) =>
      new Promise((resolve, reject) => {
        const req = http.request(baselineUrl, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
        });
        req.on('error', reject);
        req.end(body);
      });
    results.baseline_http_rtt = await roundTrips(async (i) => {
      if ((await bare(JSON.stringify({ i }))).i !== i) throw new Error('the baseline answered wrongly');
    });

    const rr = await Runner.open('bench-sdk', { root: project, url });
    try {
      const fn = await rr.service(echo);
      results.ts_function_rtt = await roundTrips(async (i) => {
        if ((await fn(i)) !== i) throw new Error('a call answered wrongly');
      });
      // 1,000 calls submitted (stored by Runyard, their futures usable), then their results.
      let t0 = performance.now();
      const many = Array.from({ length: N.submit }, (_, i) => fn(i));
      await Promise.all(many.map((f) => f.submitted));
      const submitMs = performance.now() - t0;
      const answers = await Promise.all(many);
      results.ts_submit_1000 = {
        calls: N.submit,
        submitted_ms: round(submitMs),
        all_answered_ms: round(performance.now() - t0),
        wrong: answers.filter((v, i) => v !== i).length,
      };
      await fn.close();
      results.ts_function_rtt.not_once = await notOnce(fn.sessionId);
      const counter = await rr.service(Counter);
      results.ts_ordered_rtt = await roundTrips(() => counter.add(1));
      // Each add(1) applied once: the instance's count is the number of calls.
      results.ts_ordered_rtt.count_is_calls = (await counter.add(0)) === N.warmup + N.rtt;
      await counter.close();
      results.ts_ordered_rtt.not_once = await notOnce(counter.sessionId);
      await sleep(1000); // their executors exit and free their workers' slots

      const wide = await rr.service(echo, { replicas: 2 });
      for (let i = 0; i < N.warmup; i++) await wide(i);
      t0 = performance.now();
      const out = await Promise.all(Array.from({ length: N.burst }, (_, i) => wide(i)));
      const secs = (performance.now() - t0) / 1000;
      const runs = (await (await fetch(`${url}/api/v1/sessions/${wide.sessionId}`)).json()).run_ids;
      const held = (await db.query(`SELECT id, worker_id FROM runs WHERE id = ANY($1)`, [runs])).rows;
      await wide.close();
      results.stateless_two_workers = {
        calls: N.burst,
        seconds: round(secs),
        calls_per_s: Math.round(N.burst / secs),
        wrong: out.filter((v, i) => v !== i).length,
        not_once: await notOnce(wide.sessionId),
        executor_runs: runs,
        workers_holding_them: new Set(held.map((r) => r.worker_id)).size,
      };
      await sleep(1000);
    } finally {
      await rr.close();
    }

    // Python: the baseline's round trip from Python, the warm call round trip (sequential calls, each awaited with
    // get()), and 1,000 calls submitted.
    fs.writeFileSync(
      join(project, 'rtt.py'),
      `import http.client, json, os, time
from runyard import Runner

def echo(x):
    return x

def timed(call, n):
    for i in range(${N.warmup}):
        call(i)
    ms = []
    for i in range(n):
        t = time.perf_counter()
        call(i)
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    return {"calls": n, "p50_ms": round(ms[len(ms) // 2], 2), "p99_ms": round(ms[int(len(ms) * 0.99)], 2)}

conn = http.client.HTTPConnection("127.0.0.1", ${baselinePort})
def bare(i):
    conn.request("POST", "/", body=json.dumps({"i": i}), headers={"Content-Type": "application/json"})
    assert json.loads(conn.getresponse().read())["i"] == i
out = {"baseline_http_rtt": timed(bare, ${N.pythonRtt})}

with Runner("bench-sdk-py") as rr:
    s = rr.service(echo)
    def call(i):
        assert s(i).get() == i
    out["function_rtt"] = timed(call, ${N.pythonRtt})
    t = time.perf_counter()
    futures = [s(i) for i in range(${N.submit})]
    # Stored by Runyard (a client of before the batching submitter stored each call within s(i)).
    if hasattr(s, "_submitter"):
        s._submitter.flush()
    submitted = time.perf_counter() - t
    wrong = sum(1 for i, f in enumerate(futures) if f.get() != i)
    out["submit_1000"] = {"calls": ${N.submit}, "submitted_ms": round(submitted * 1000, 2),
                          "all_answered_ms": round((time.perf_counter() - t) * 1000, 2), "wrong": wrong}
    out["session"] = s.session_id
    # The session's rows go with the application: the benchmark reads them before this client unregisters it.
    print(json.dumps(out), flush=True)
    input()
`,
    );
    const python = spawn('python3', ['rtt.py'], {
      cwd: project,
      env: { ...process.env, PYTHONPATH: join(APP_ROOT, 'clients', 'python'), RUNYARD_URL: url },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => python.once('exit', resolve));
    const [line] = await Promise.race([
      once(createInterface({ input: python.stdout }), 'line'),
      exited.then((code) => Promise.reject(new Error(`rtt.py exited ${code}`))),
    ]);
    const py = JSON.parse(line);
    results.python_baseline_http_rtt = py.baseline_http_rtt;
    results.python_function_rtt = { ...py.function_rtt, not_once: await notOnce(py.session) };
    results.python_submit_1000 = py.submit_1000;
    python.stdin.end('\n');
    if ((await exited) !== 0) throw new Error('rtt.py failed');
  } finally {
    await db.end();
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
