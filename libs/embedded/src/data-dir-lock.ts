/*
 * One Runyard per data directory: `<dataDir>/runyard.lock` names the process that owns it. The
 * embedded PostgreSQL is that process's child; a second process would have to fight over it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_FILE = 'runyard.lock';

export interface LockHolder {
  pid: number;
  hostname: string;
  startedAt: string;
}

/** Thrown when the data directory is in use by another running process (or this one). */
export class EmbeddedDataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `Embedded database directory ${dataDir} is in use by process ${holder.pid} on ${holder.hostname} ` +
        `(since ${holder.startedAt}). Stop that Runyard, or point RUNYARD_DATA_DIR elsewhere. To run more ` +
        `processes on its database, give them DATABASE_URL (port and password are in ${path.join(dataDir, 'postgres.json')}). ` +
        `If no such process exists, delete ${path.join(dataDir, LOCK_FILE)}.`,
    );
    this.name = 'EmbeddedDataDirLockedError';
  }
}

/** Whether a process exists (a zombie does not count: it is gone, only not yet reaped). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS)
  }
}

/** Takes the lock (O_EXCL), replacing it only when its process is gone; answers the release. */
export async function acquireDataDirLock(dataDir: string): Promise<() => void> {
  const file = path.join(dataDir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify(mine) + '\n');
      fs.closeSync(fd);
      return () => {
        try {
          const cur = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
          if (cur.pid === mine.pid && cur.startedAt === mine.startedAt) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: LockHolder | undefined;
    try {
      holder = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
    } catch {
      holder = undefined; // unreadable or half-written: stale only if it stays so
    }
    if (holder && typeof holder.pid === 'number') {
      // On another host we cannot check its pid: refuse.
      if (holder.hostname !== os.hostname() || processAlive(holder.pid)) throw new EmbeddedDataDirLockedError(dataDir, holder);
    } else if (attempt === 0) {
      await new Promise((r) => setTimeout(r, 200)); // maybe being written by a concurrent starter
      continue;
    }
    fs.rmSync(file, { force: true }); // left by a process that is gone
  }
  throw new Error(`Could not acquire ${file}`);
}
