/**
 * The spawn helper: a small long-lived process (only Node's own modules) that prepares run directories
 * and starts the runs' processes for a worker. Forking the worker itself costs in proportion to its
 * memory and blocks its event loop; this process is a fraction of its size and spawns beside it.
 * Its environment is already the runs' inherited part (the worker starts it with nothing else).
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { AccountRequest, accountEnvironment, asAccount, claimUid, namedAccount, releaseUid, RunAccount, UID_LOCKS } from './run-account';
import type { SpawnReply, SpawnRequest } from './spawn-protocol';

// A reply to a worker that has just gone away is dropped (the callback takes the error): the helper exits on 'disconnect', not on EPIPE.
const send = (reply: SpawnReply) => process.connected && process.send?.(reply, undefined, {}, () => undefined);

const ownUid = process.getuid?.() ?? -1;
/** RUN_UID_LOCKS, from the worker (this process's environment is the runs'). */
const uidLocks = process.argv[2] || UID_LOCKS;
const self = userInfo();
const reachable = new Set<string>();
/**
 * Started under no_new_privs (spawner.ts), inherited by every run: then a uid of its own needs no
 * setpriv exec, the spawn switches to it (libuv clears the groups, then sets gid and uid), and the
 * run's credentials are the ones setpriv gives. A named account keeps setpriv (--init-groups).
 */
const noNewPrivs = (() => {
  try {
    return /^NoNewPrivs:\s*1$/m.test(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return false;
  }
})();

function accountOf(req: AccountRequest | null, dir: string): RunAccount | null {
  if (!req) return null;
  const account = 'name' in req ? namedAccount(req.name) : claimUid(dir, req.range, uidLocks);
  if (account.uid !== ownUid && ownUid !== 0) throw new Error(`RUN_AS ${account.user} needs Runyard to run as root`);
  return account.uid === ownUid ? null : account;
}

/**
 * The runs directory lets other accounts through to their own directory (0711), and so must every
 * directory above it: Runyard's own (its data directory, an agent's state directory) is opened for
 * passing through (not for listing; what it holds keeps its own modes), any other must already be.
 */
function checkReachable(runsDir: string): void {
  if (reachable.has(runsDir)) return;
  mkdirSync(runsDir, { recursive: true, mode: 0o711 });
  chmodSync(runsDir, 0o711);
  const parent = statSync(dirname(runsDir));
  if (parent.uid === ownUid) chmodSync(dirname(runsDir), (parent.mode & 0o777) | 0o001);
  for (let d = dirname(runsDir); ; d = dirname(d)) {
    const mode = statSync(d).mode & 0o777;
    if (!(mode & 0o001)) {
      throw new Error(
        `runs execute as accounts of their own, which cannot enter ${d} (mode 0${mode.toString(8)}): ` +
          'set RUNYARD_DATA_DIR (on an agent: its state directory) to a directory other accounts may enter, e.g. /var/lib/runyard',
      );
    }
    if (d === dirname(d)) break;
  }
  reachable.add(runsDir);
}

const identity = (account: RunAccount | null, dir: string) =>
  account ? accountEnvironment(account) : { HOME: self.homedir || dir, USER: self.username, LOGNAME: self.username };

// File work is synchronous: this process has nothing else to do meanwhile, and a few quick metadata
// calls in a row cost less than as many round trips through libuv's thread pool (drain profile).
function launch(req: Extract<SpawnRequest, { op: 'launch' }>): void {
  if (req.account && ownUid === 0) checkReachable(dirname(req.dir));
  // A run is launched once (the claim sees to it): a new directory, files truncated should one be left over.
  // The directory comes first: a uid's lock names a directory that exists for as long as the lock does.
  mkdirSync(req.dir, { recursive: true, mode: 0o700 });
  const account = accountOf(req.account, req.dir);
  if (account) chownSync(req.dir, account.uid, account.gid);
  rmSync(join(req.dir, 'exit'), { force: true });
  for (const f of req.files) {
    const file = join(req.dir, f.name);
    writeFileSync(file, f.data, { mode: f.mode });
    if (account) chownSync(file, account.uid, account.gid);
  }
  const out = openSync(join(req.dir, 'stdout'), 'w');
  let err: number | undefined;
  // A uid of its own creates files for itself alone, in /tmp too.
  const umask = account && !account.named ? process.umask(0o077) : undefined;
  try {
    err = openSync(join(req.dir, 'stderr'), 'w');
    const direct = account !== null && !account.named && noNewPrivs;
    const argv = direct ? req.argv : asAccount(account, req.argv);
    const child = spawn(argv[0], argv.slice(1), {
      ...(direct ? { uid: account.uid, gid: account.gid } : {}),
      detached: true, // its own session and process group: it survives the worker and is signalled as a group
      stdio: [req.stdin === undefined ? 'ignore' : 'pipe', out, err],
      cwd: req.dir,
      env: { ...process.env, ...identity(account, req.dir), ...req.env },
    });
    // spawn() throws for what it can tell at once; an exec failure (ENOENT…) comes as 'error' instead of 'spawn'.
    child.once('error', (e) => send({ op: 'failed', id: req.id, message: e.message }));
    child.once('spawn', () => {
      if (req.stdin !== undefined) child.stdin!.end(req.stdin);
      child.once('exit', (code, signal) => send({ op: 'exit', pid: child.pid!, code, signal }));
      send({ op: 'launched', id: req.id, pid: child.pid! });
    });
  } finally {
    if (umask !== undefined) process.umask(umask);
    closeSync(out);
    if (err !== undefined) closeSync(err);
  }
}

/** The run is over: what it left running under a uid of its own ends, its directory goes, the uid is free again. */
async function release(dir: string): Promise<void> {
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const owner = statSync(dir, { throwIfNoEntry: false })?.uid;
  if (ownUid === 0 && owner !== undefined && owner !== 0) return releaseUid(dir, owner, remove, uidLocks);
  remove();
}

function serve(req: SpawnRequest): void {
  if (req.op === 'launch') return launch(req);
  release(req.dir).then(
    () => send({ op: 'done', id: req.id }),
    (e: Error) => send({ op: 'failed', id: req.id, message: e.message }),
  );
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
