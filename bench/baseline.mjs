// The baselines `bench/run.mjs` compares Runyard with, each run as its own process like Runyard's.
//
//   node bench/baseline.mjs server PORT REDIS_URL QUEUE
//     A bare express app (the HTTP stack Runyard's NestJS uses) with two handlers:
//       POST /accept {expid}  only BullMQ `queue.add` on QUEUE, then 202 (what "accept" compares with)
//       POST /spawn  {expid}  spawns `bench/bin/stamp run EXPID` inside the request and answers once
//                             it has started (what the upstream Autosubmit API does; "dispatch")
//     Prints "listening" when ready; SIGTERM closes it.
//
//   node bench/baseline.mjs drain COUNT CONCURRENCY PROGRAM
//     Spawns PROGRAM `run bXXXX` COUNT times, CONCURRENCY at once, no queue and no database, and prints
//     {"count", "ms"} (what "drain" compares with).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), 'bin');
const [mode, ...args] = process.argv.slice(2);

if (mode === 'server') {
  const [port, redisUrl, queueName] = args;
  const { default: express } = await import('express');
  const { Queue } = await import('bullmq');
  const { default: IORedis } = await import('ioredis');
  const queue = new Queue(queueName, {
    connection: new IORedis(redisUrl, { enableOfflineQueue: false }),
    defaultJobOptions: {
      removeOnComplete: { count: 1000, age: 24 * 3600 },
      removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
      attempts: 1,
    },
  });
  await queue.waitUntilReady();
  let seq = 0;
  const app = express();
  app.use(express.json());
  app.post('/accept', async (req, res) => {
    const id = ++seq;
    try {
      await queue.add('run', { runId: id, expid: req.body.expid }, { jobId: `b-${id}` });
      res.status(202).json({ id, expid: req.body.expid, status: 'QUEUED' });
    } catch (e) {
      res.status(503).json({ error: true, error_message: e.message });
    }
  });
  app.post('/spawn', (req, res) => {
    const child = spawn(join(BIN, 'stamp'), ['run', String(req.body.expid)], { detached: true, stdio: 'ignore' });
    child.once('spawn', () => {
      child.unref();
      res.status(200).json({ expid: req.body.expid, pid: child.pid });
    });
    child.once('error', (e) => res.status(500).json({ error: true, error_message: e.message }));
  });
  const server = app.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections?.();
    void queue.close().finally(() => process.exit(0));
  });
} else if (mode === 'drain') {
  const [count, concurrency, program] = [Number(args[0]), Number(args[1]), args[2]];
  let next = 0;
  const one = (i) =>
    new Promise((resolve, reject) => {
      const child = spawn(program, ['run', `b${i.toString(36).padStart(3, '0').slice(-3)}`], { stdio: 'ignore' });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${program} exited ${code}`))));
    });
  const lane = async () => {
    while (next < count) await one(next++);
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  process.stdout.write(`${JSON.stringify({ count, ms: performance.now() - t0 })}\n`);
} else {
  process.stderr.write('usage: baseline.mjs server PORT REDIS_URL QUEUE | drain COUNT CONCURRENCY PROGRAM\n');
  process.exit(2);
}
