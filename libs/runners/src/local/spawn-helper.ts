/**
 * The spawn helper: a small long-lived process (only Node's own modules) that prepares run directories
 * and starts the runs' processes for a worker. Forking the worker itself costs in proportion to its
 * memory and blocks its event loop; this process is a fraction of its size and spawns beside it.
 * Its environment is already the runs' (the worker starts it without Runyard's own variables).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpawnReply, SpawnRequest } from './spawn-protocol';

const send = (reply: SpawnReply) => process.send?.(reply);

// File work is synchronous: this process has nothing else to do meanwhile, and a few quick metadata
// calls in a row cost less than as many round trips through libuv's thread pool (drain profile).
function launch(req: Extract<SpawnRequest, { op: 'launch' }>): void {
  // A run is launched once (the claim sees to it): a new directory, files truncated should one be left over.
  mkdirSync(req.dir, { recursive: true, mode: 0o700 });
  rmSync(join(req.dir, 'exit'), { force: true });
  for (const f of req.files) writeFileSync(join(req.dir, f.name), f.data, { mode: f.mode });
  const out = openSync(join(req.dir, 'stdout'), 'w');
  let err: number | undefined;
  try {
    err = openSync(join(req.dir, 'stderr'), 'w');
    const child = spawn(req.argv[0], req.argv.slice(1), {
      detached: true, // its own session and process group: it survives the worker and is signalled as a group
      stdio: [req.stdin === undefined ? 'ignore' : 'pipe', out, err],
      cwd: req.dir,
      env: { ...process.env, ...req.env },
    });
    // spawn() throws for what it can tell at once; an exec failure (ENOENT…) comes as 'error' instead of 'spawn'.
    child.once('error', (e) => send({ op: 'failed', id: req.id, message: e.message }));
    child.once('spawn', () => {
      if (req.stdin !== undefined) child.stdin!.end(req.stdin);
      child.once('exit', (code, signal) => send({ op: 'exit', pid: child.pid!, code, signal }));
      send({ op: 'launched', id: req.id, pid: child.pid! });
    });
  } finally {
    closeSync(out);
    if (err !== undefined) closeSync(err);
  }
}

function serve(req: SpawnRequest): void {
  if (req.op === 'launch') return launch(req);
  rmSync(req.dir, { recursive: true, force: true });
  send({ op: 'done', id: req.id });
}

process.on('message', (req: SpawnRequest) => {
  try {
    serve(req);
  } catch (e) {
    send({ op: 'failed', id: req.id, message: (e as Error).message });
  }
});
// The worker went away: the runs live on (their own sessions); nothing is left for this process to do.
process.on('disconnect', () => process.exit(0));
