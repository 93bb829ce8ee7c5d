/*
 * A server that outlived its Runyard (SIGKILL, a crash): PostgreSQL runs in its own process group so
 * that a Ctrl-C reaches Runyard first, which therefore cannot take it down when it is killed itself.
 * The next start finds it through `postmaster.pid` and shuts it down before starting its own.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { processAlive } from './data-dir-lock';

export interface PostmasterPid {
  pid: number;
  port: number;
  /** `ready`, `starting`, `stopping`, … (PostgreSQL ≥ 10). */
  status: string;
}

/** The first lines of `postmaster.pid`: pid, data directory, start time, port, socket dir, address, shmem key, status. */
export function readPostmasterPid(cluster: string): PostmasterPid | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(cluster, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  return Number.isInteger(pid) && pid > 0 ? { pid, port: Number(lines[3]), status: (lines[7] ?? '').trim() } : undefined;
}

/** The command line of a process: is it a postgres on this data directory? */
function isServerOf(pid: number, cluster: string): boolean {
  let command: string;
  try {
    command =
      process.platform === 'linux'
        ? fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
        : execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
  } catch {
    return false;
  }
  return /(^|\/)postgres /.test(command) && command.includes(`-D ${cluster}`);
}

export async function waitUntilGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Shuts down the server left running on `cluster`, if there is one: fast shutdown (SIGINT: sessions
 * ended, a checkpoint, a clean exit), then immediate (SIGQUIT) if it hangs. Answers its pid.
 */
export async function stopLeftoverServer(cluster: string): Promise<number | undefined> {
  const left = readPostmasterPid(cluster);
  // A pid that is gone or that now belongs to another program: PostgreSQL itself clears the stale file.
  if (!left || !processAlive(left.pid) || !isServerOf(left.pid, cluster)) return undefined;
  for (const [signal, ms] of [
    ['SIGINT', 30_000],
    ['SIGQUIT', 10_000],
  ] as const) {
    try {
      process.kill(left.pid, signal);
    } catch {
      return left.pid; // gone in between
    }
    if (await waitUntilGone(left.pid, ms)) return left.pid;
  }
  throw new Error(`The PostgreSQL server ${left.pid} left running on ${cluster} does not stop; stop it, then start Runyard again.`);
}
