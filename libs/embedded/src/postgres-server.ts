/*
 * The postmaster process: started on a cluster and a port, ready when `postmaster.pid` says so,
 * stopped with a fast shutdown.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { readPostmasterPid } from './leftover-server';
import type { PostgresBinaries } from './postgres-binaries';
import { serverEnv } from './postgres-cluster';
import { runAs, ServerAccount } from './server-account';

/** The server could not listen on the port it was given (taken since it was found free). */
export class PortTakenError extends Error {}

export interface ServerStart {
  cluster: string;
  binaries: PostgresBinaries;
  account: ServerAccount;
  port: number;
  /** The server's stderr goes here (the previous start's is kept as `<logFile>.1`). */
  logFile: string;
  readyTimeoutMs: number;
  /** Called with the process as soon as it exists, before it is ready. */
  onSpawn(child: ChildProcess): void;
}

/** Starts the postmaster and waits until it accepts connections; stops it again if it does not. */
export async function startServer(s: ServerStart): Promise<ChildProcess> {
  if (fs.existsSync(s.logFile)) fs.renameSync(s.logFile, `${s.logFile}.1`);
  const log = fs.openSync(s.logFile, 'a', 0o600);
  // Loopback TCP only: no Unix socket, no other address.
  const args = ['-D', s.cluster, '-p', String(s.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  // Its own process group: a Ctrl-C on the terminal reaches Runyard, which ends its sessions first.
  const child = spawn(s.binaries.postgres, args, {
    ...runAs(s.account),
    env: serverEnv(s.binaries),
    detached: true,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  s.onSpawn(child);
  const deadline = Date.now() + s.readyTimeoutMs;
  for (;;) {
    if (spawnError) throw new Error(`Could not start PostgreSQL (${s.binaries.postgres}): ${spawnError.message}`);
    if (!running(child)) {
      const tail = fs.readFileSync(s.logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      if (/could not (bind|create listen socket)/.test(tail)) throw new PortTakenError(tail);
      throw new Error(`PostgreSQL exited on start (${child.exitCode ?? child.signalCode}); from ${s.logFile}:\n${tail}`);
    }
    const postmaster = readPostmasterPid(s.cluster);
    if (postmaster && postmaster.pid === child.pid && postmaster.status === 'ready') return child;
    if (Date.now() > deadline) {
      await stopServer(child);
      throw new Error(`PostgreSQL did not accept connections within ${s.readyTimeoutMs} ms; see ${s.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function running(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Fast shutdown (sessions ended, a checkpoint, a clean exit); immediate shutdown if that hangs. */
export async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise<true>((resolve) => (running(child) ? child.once('exit', () => resolve(true)) : resolve(true)));
  for (const [signal, ms] of [
    ['SIGINT', 30_000],
    ['SIGQUIT', 10_000],
  ] as const) {
    if (!running(child)) return;
    child.kill(signal);
    const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref());
    if (await Promise.race([exited, timer])) return;
  }
}
