import { ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LaunchFailedError } from '../runner';
import type { SpawnReply, SpawnRequest } from './spawn-protocol';

/**
 * As root, the helper starts under no_new_privs, which every process it starts inherits: a run of a
 * uid of its own then switches account in the spawn itself, without a setpriv exec per run. The
 * helper checks it has the flag before relying on it; without setpriv, each run goes through setpriv.
 */
const NO_NEW_PRIVS = process.getuid?.() === 0 ? ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) : undefined;

type Pending = { resolve: (reply: SpawnReply) => void; reject: (e: Error) => void };
/** How a launched process ended, or `lost` when the helper that watched it went away first. */
export type SpawnedExit = { code: number | null; signal: string | null } | 'lost';

/**
 * The worker's side of its spawn helper (spawn-helper.ts): started on first use, started again if it
 * dies. A process launched before it died is still followed, by its pid and exit file (`lost`).
 */
export class Spawner {
  private helper?: ChildProcess;
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly exits = new Map<number, (exit: SpawnedExit) => void>();
  /** The exit of each launched pid, registered as its launch is answered (its exit may follow in the same read). */
  private readonly watched = new Map<number, Promise<SpawnedExit>>();

  /** `env`: the runs' base environment (the worker's without Runyard's own); `uidLocks`: RUN_UID_LOCKS. */
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly uidLocks: string,
  ) {}

  async launch(req: Omit<Extract<SpawnRequest, { op: 'launch' }>, 'op' | 'id'>): Promise<{ pid: number; exited: Promise<SpawnedExit> }> {
    const reply = await this.call({ op: 'launch', id: 0, ...req });
    if (reply.op !== 'launched') throw new Error('the spawn helper answered out of turn');
    const exited = this.watched.get(reply.pid)!;
    this.watched.delete(reply.pid);
    return { pid: reply.pid, exited };
  }

  async release(dir: string): Promise<void> {
    await this.call({ op: 'release', id: 0, dir });
  }

  close(): void {
    this.helper?.disconnect();
  }

  private call(req: SpawnRequest): Promise<SpawnReply> {
    const helper = this.started();
    const id = this.next++;
    return new Promise<SpawnReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      helper.send({ ...req, id }, (e) => {
        if (e) this.settle(id, undefined, e);
      });
    });
  }

  private started(): ChildProcess {
    if (this.helper?.connected) return this.helper;
    // Small by design: its heap only ever holds a few requests.
    const node = ['--max-old-space-size=32'];
    const helper = fork(join(__dirname, 'spawn-helper.js'), [this.uidLocks], {
      env: this.env,
      serialization: 'advanced',
      ...(NO_NEW_PRIVS ? { execPath: NO_NEW_PRIVS, execArgv: ['--no-new-privs', '--', process.execPath, ...node] } : { execArgv: node }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    helper.on('message', (reply: SpawnReply) => {
      if (reply.op === 'launched') {
        const pid = reply.pid;
        this.watched.set(pid, new Promise<SpawnedExit>((resolve) => this.exits.set(pid, resolve)));
      }
      if (reply.op === 'exit') {
        this.exits.get(reply.pid)?.({ code: reply.code, signal: reply.signal });
        this.exits.delete(reply.pid);
      } else {
        this.settle(reply.id, reply, reply.op === 'failed' ? new LaunchFailedError(reply.message) : undefined);
      }
    });
    helper.once('exit', () => {
      if (this.helper === helper) this.helper = undefined;
      for (const id of [...this.pending.keys()]) this.settle(id, undefined, new Error('the spawn helper exited'));
      for (const lost of this.exits.values()) lost('lost');
      this.exits.clear();
    });
    // The worker may exit without waiting for it (its runs do not need it).
    helper.unref();
    (helper.channel as { unref?: () => void } | undefined)?.unref?.();
    this.helper = helper;
    return helper;
  }

  private settle(id: number, reply?: SpawnReply, error?: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (error) p.reject(error);
    else p.resolve(reply!);
  }
}
