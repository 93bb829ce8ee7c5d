/**
 * Whose processes a run's are, on the host it executes on. Node's own modules only: the spawn helper
 * and the runner agent load this file alone.
 *
 * When Runyard runs as root, a run never shares its account: it gets its profile's RUN_AS account, or
 * a uid of its own from RUN_UID_RANGE (no passwd entry, no groups, like systemd's DynamicUser), so two
 * runs can neither read each other's files nor signal each other. Otherwise every run shares Runyard's
 * account, and the start-up log says what that lets a run reach.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** What a launch asks for: a named account (RUN_AS), or a uid of its own from the range. */
export type AccountRequest = { name: string } | { range: [number, number] };

/** The account a run's processes get. */
export interface RunAccount {
  uid: number;
  gid: number;
  /** USER and LOGNAME. */
  user: string;
  /** HOME: the account's own, or the run directory for a uid of its own. */
  home: string;
  /** A named account keeps its supplementary groups; a uid of its own has none. */
  named: boolean;
}

/** The range systemd gives DynamicUser= services: unused by distributions' own accounts. */
export const DEFAULT_UID_RANGE: [number, number] = [61184, 65519];

/** `61184-65519` → [61184, 65519]; throws a message naming the setting. */
export function parseUidRange(text: string | undefined): [number, number] {
  if (text === undefined || text === '') return DEFAULT_UID_RANGE;
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  const [lo, hi] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(lo >= 1000 && hi >= lo && hi < 2 ** 31)) {
    throw new Error(`RUN_UID_RANGE must be FIRST-LAST, two uids from 1000 up, e.g. 61184-65519 (got ${JSON.stringify(text)})`);
  }
  return [lo, hi];
}

/** A uid of its own: no passwd entry, the run directory as its home. */
const uidOfItsOwn = (uid: number, dir: string): RunAccount => ({ uid, gid: uid, user: `runyard-${uid}`, home: dir, named: false });

/** HOME, USER and LOGNAME of the account. */
export const accountEnvironment = (a: RunAccount) => ({ HOME: a.home, USER: a.user, LOGNAME: a.user });

const known = new Map<string, RunAccount | null>();

/** An account of the host's user database (getent: /etc/passwd, LDAP …) by name or uid; null when there is none. */
function lookUp(key: string): RunAccount | null {
  if (known.has(key)) return known.get(key)!;
  const r = spawnSync('getent', ['passwd', key], { encoding: 'utf8', timeout: 5000 });
  const f = r.status === 0 ? r.stdout.trim().split(':') : [];
  const account = f.length >= 7 ? { uid: Number(f[2]), gid: Number(f[3]), user: f[0], home: f[5] || '/', named: true } : null;
  known.set(key, account);
  return account;
}

/** A RUN_AS account. */
export function namedAccount(name: string): RunAccount {
  const account = lookUp(name);
  if (!account) throw new Error(`RUN_AS account ${name} does not exist on this host`);
  return account;
}

/** The account a run directory belongs to (a run's own commands execute as the run), or null when it is gone or this process's. */
export function accountOwning(dir: string): RunAccount | null {
  const uid = statSync(dir, { throwIfNoEntry: false })?.uid;
  if (uid === undefined || uid === process.getuid?.()) return null;
  return lookUp(String(uid)) ?? uidOfItsOwn(uid, dir);
}

/**
 * Where the uids' locks live by default (RUN_UID_LOCKS): one directory for the whole host, shared by
 * every worker and agent on it whatever their data directories, or two runs of two of them would get
 * one uid (and reach, and at release kill, each other's processes). Under /run: gone at a reboot, with
 * every process it locked for.
 */
export const UID_LOCKS = '/run/runyard/uids';

/**
 * Claims a uid of the range for the run directory `dir` (one lock file per uid, created exclusively,
 * naming the directory): a retry of the same run gets its uid back; a lock whose directory is gone
 * was left by a run that ended without its release and is taken over.
 */
export function claimUid(runDir: string, [lo, hi]: [number, number], locks = UID_LOCKS): RunAccount {
  mkdirSync(locks, { recursive: true, mode: 0o700 });
  checkLocksDir(resolve(locks));
  const dir = resolve(runDir);
  const size = hi - lo + 1;
  const start = Number.parseInt(basename(dir), 10) || 0;
  for (let i = 0; i < size; i++) {
    const uid = lo + ((start + i) % size);
    const lock = join(locks, String(uid));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(lock, 'wx', 0o600);
        writeSync(fd, dir);
        closeSync(fd);
        return uidOfItsOwn(uid, dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readFileSync(lock, 'utf8');
      if (holder === dir) return uidOfItsOwn(uid, dir);
      if (holder === '' || existsSync(holder)) break;
      // Left by a crash. Moved aside before it is taken over, so that of two helpers doing this at once
      // only one takes it: the other finds it moved, or moved a fresh lock and puts that back.
      const aside = `${lock}.${process.pid}`;
      try {
        renameSync(lock, aside);
      } catch {
        continue;
      }
      if (readFileSync(aside, 'utf8') !== holder) {
        try {
          linkSync(aside, lock);
        } catch {
          /* taken meanwhile */
        }
        rmSync(aside, { force: true });
        break;
      }
      rmSync(aside, { force: true });
    }
  }
  throw new Error(`every uid of RUN_UID_RANGE ${lo}-${hi} is held by a run: widen the range`);
}

/**
 * Whoever may change the locks decides which runs share a uid (it removes a live run's lock, and the
 * next run gets that uid): the directory must be this account's alone, and none of the directories
 * above it replaceable by anyone else (another account's, or writable by others without the sticky bit).
 */
function checkLocksDir(locks: string): void {
  const me = process.getuid?.() ?? 0;
  const own = lstatSync(locks);
  if (!own.isDirectory() || own.uid !== me || (own.mode & 0o022) !== 0) {
    throw new Error(
      `RUN_UID_LOCKS ${locks} must be a directory of uid ${me} that no one else may write: runs could choose each other's uids`,
    );
  }
  for (let dir = dirname(locks); ; dir = dirname(dir)) {
    const st = lstatSync(dir);
    const replaceable = (st.uid !== me && st.uid !== 0) || ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0);
    if (replaceable)
      throw new Error(`RUN_UID_LOCKS ${locks} is under ${dir}, which others may change: runs could choose each other's uids`);
    if (dir === dirname(dir)) return;
  }
}

/**
 * Ends the run's hold on its uid: whatever it left running under that uid is killed, the uid is free
 * again, then `removeDir` runs (a lock always names a directory that still exists: one whose directory
 * is gone was left by a crash). A directory whose owner holds no lock of its (RUN_AS) is only removed.
 */
export async function releaseUid(runDir: string, uid: number, removeDir: () => void, locks = UID_LOCKS): Promise<void> {
  const dir = resolve(runDir);
  const lock = join(locks, String(uid));
  let holder: string | null = null;
  try {
    holder = readFileSync(lock, 'utf8');
  } catch {
    /* no lock: not a uid of the range */
  }
  if (holder === dir) {
    if (await hasProcesses(uid)) {
      // kill(-1) as that uid reaches exactly its processes (the shell's builtin: no procps needed). Not
      // waited for synchronously: the helper goes on launching meanwhile.
      await new Promise<void>((resolve) => {
        const killer = spawn('/bin/sh', ['-c', 'kill -KILL -1'], { uid, gid: uid, stdio: 'ignore' });
        killer.once('error', () => resolve());
        killer.once('close', () => resolve());
      });
    }
    rmSync(lock, { force: true });
  }
  removeDir();
}

/** Releases waiting for the next look through /proc: their uids, and who waits for each answer. */
const asked = new Map<number, ((alive: boolean) => void)[]>();

/**
 * Whether a process of `uid` still runs: a look through /proc costs less than starting a process to
 * kill none. Releases asked in the same turn of the event loop share one look (it began after each of
 * them was asked, so it sees what each of their runs left, as a look of its own would).
 */
function hasProcesses(uid: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (asked.size === 0) setImmediate(lookThroughProc);
    asked.set(uid, [...(asked.get(uid) ?? []), resolve]);
  });
}

function lookThroughProc(): void {
  const waiting = new Map(asked);
  asked.clear();
  const alive = new Set<number>();
  try {
    for (const pid of readdirSync('/proc')) {
      const uid = /^\d/.test(pid) ? statSync(`/proc/${pid}`, { throwIfNoEntry: false })?.uid : undefined;
      if (uid !== undefined && waiting.has(uid) && alive.add(uid).size === waiting.size) break;
    }
  } catch {
    // Cannot tell: every uid asked about is treated as still running (its release kills, which is harmless).
    for (const uid of waiting.keys()) alive.add(uid);
  }
  for (const [uid, answers] of waiting) for (const answer of answers) answer(alive.has(uid));
}

/** The argv that starts `argv` as `account`: setpriv switches uid, gid and groups, and forbids gaining privileges. */
export function asAccount(account: RunAccount | null, argv: string[]): string[] {
  if (!account || account.uid === process.getuid?.()) return argv;
  const groups = account.named ? ['--init-groups'] : ['--clear-groups'];
  return ['setpriv', `--reuid=${account.uid}`, `--regid=${account.gid}`, ...groups, '--no-new-privs', '--', ...argv];
}
