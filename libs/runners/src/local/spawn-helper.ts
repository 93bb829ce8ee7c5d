/**
 * The spawn helper: a small long-lived process (only Node's own modules) that prepares run directories
 * and starts the runs' processes for a worker. Forking the worker itself costs in proportion to its
 * memory and blocks its event loop; this process is a fraction of its size and spawns beside it.
 * Its environment is already the runs' (the worker starts it without Runyard's own variables).
 */
import { spawn } from 'node:child_process';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpawnReply, SpawnRequest } from './spawn-protocol';

const send = (reply: SpawnReply) => process.send?.(reply);

async function launch(req: Extract<SpawnRequest, { op: 'launch' }>): Promise<void> {
  // A run is launched once (the claim sees to it): a new directory, files truncated should one be left over.
  await mkdir(req.dir, { recursive: true, mode: 0o700 });
  await rm(join(req.dir, 'exit'), { force: true });
  for (const f of req.files) await writeFile(join(req.dir, f.name), f.data, { mode: f.mode });
  const out = await open(join(req.dir, 'stdout'), 'w');
  const err = await open(join(req.dir, 'stderr'), 'w');
  try {
    const child = spawn(req.argv[0], req.argv.slice(1), {
      detached: true, // its own session and process group: it survives the worker and is signalled as a group
      stdio: [req.stdin === undefined ? 'ignore' : 'pipe', out.fd, err.fd],
      cwd: req.dir,
      env: { ...process.env, ...req.env },
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    if (req.stdin !== undefined) child.stdin!.end(req.stdin);
    child.once('exit', (code, signal) => send({ op: 'exit', pid: child.pid!, code, signal }));
    send({ op: 'launched', id: req.id, pid: child.pid! });
  } finally {
    await out.close();
    await err.close();
  }
}

process.on('message', (req: SpawnRequest) => {
  const work =
    req.op === 'launch' ? launch(req) : rm(req.dir, { recursive: true, force: true }).then(() => send({ op: 'done', id: req.id }));
  work.catch((e: Error) => send({ op: 'failed', id: req.id, message: e.message }));
});
// The worker went away: the runs live on (their own sessions); nothing is left for this process to do.
process.on('disconnect', () => process.exit(0));
