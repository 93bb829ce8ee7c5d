import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { FileHandle, open, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Run } from '@runyard/persistence';
import { MAX_RESULT_FILE_BYTES } from '@runyard/scripts';
import { Attachment, ExitInfo, LaunchRef, OutputSource, OutputStream, Runner, RunnerDefinition, RunningProcess, RunRef } from './runner';
import { accountEnvironment, accountOwning, asAccount, namedAccount, RunAccount } from './local/run-account';
import { accountRequest, describeIsolation, RunIsolation, runIsolation } from './local/run-isolation';
import { Spawner } from './local/spawner';
import { runFiles } from './run-environment';
import { parseExitFile, RESULT_FILE, WRAPPER_NAME, WRAPPER_SCRIPT } from './run-wrapper';

const POLL_MS = 250;

/** Commands run for a run outside it (`autosubmit stop`) when it has no RUN_AS account: nobody's. */
const NOBODY: RunAccount = { uid: 65534, gid: 65534, user: 'nobody', home: '/nonexistent', named: false };

/**
 * A file of the run directory as Runyard reads it back (exit status, output, result): the run owns
 * that directory, so a symbolic link, a hard link or a FIFO put there in its place is never followed.
 */
async function openRunFile(path: string): Promise<{ handle: FileHandle; size: number } | null> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => null);
  if (!handle) return null;
  const st = await handle.stat().catch(() => null);
  if (st?.isFile() && st.nlink === 1) return { handle, size: st.size };
  await handle.close();
  return null;
}

async function readRunFile(path: string, limit: number): Promise<Buffer | null> {
  const handle = (await openRunFile(path))?.handle;
  if (!handle) return null;
  try {
    const buf = Buffer.allocUnsafe(limit + 1);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Runs on the worker's own machine, detached, in its own directory under RUNYARD_DATA_DIR/runs with its output in files there. */
export class LocalRunner implements Runner {
  readonly type = 'LOCAL';
  private readonly host = hostname();
  private readonly spawner: Spawner;
  /** Commands of runs (`autosubmit stop`) under way, by run directory. */
  private readonly commands = new Map<string, Set<Promise<unknown>>>();

  constructor(
    private readonly runsDir: string,
    private readonly isolation: RunIsolation = runIsolation(),
  ) {
    this.spawner = new Spawner(isolation.inherited, isolation.uidLocks);
  }

  private dirOf(run: Pick<Run, 'id'> & Partial<Pick<Run, 'runDir'>>): string {
    return run.runDir ?? join(this.runsDir, String(run.id));
  }

  async launch(run: LaunchRef, secrets: Record<string, string> = {}): Promise<RunningProcess> {
    const dir = this.dirOf(run);
    const { pid, exited } = await this.spawner.launch({
      dir,
      argv: ['/bin/sh', '-c', WRAPPER_SCRIPT, WRAPPER_NAME, dir, ...run.argv],
      env: { ...run.settings.env, ...secrets },
      stdin: run.settings.stdin,
      files: runFiles(run.settings.files),
      account: accountRequest(this.isolation, run.settings.runAs),
    });
    // The wrapper exits with the status it records, so a code from the helper needs no file read; a
    // signal means the wrapper itself was killed, and the file (if any) says more.
    const ended = exited.then(async (exit) => {
      if (exit === 'lost') return this.watchExit({ ...run, pid, runDir: dir, host: this.host });
      return exit.code !== null ? exit : ((await this.recordedExit(dir)) ?? exit);
    });
    return { pid, host: this.host, runDir: dir, exited: ended };
  }

  async attach(run: RunRef): Promise<Attachment> {
    const dir = this.dirOf(run);
    if (run.pid && (await this.isAlive(run))) {
      return { state: 'running', process: { pid: run.pid, host: this.host, runDir: dir, exited: this.watchExit(run) } };
    }
    const recorded = await this.recordedExit(dir);
    return recorded ? { state: 'exited', exit: recorded } : { state: 'vanished' };
  }

  /** Alive and still our wrapper for this run (a recycled pid belongs to someone else; a zombie has no cmdline). */
  private async isAlive(run: RunRef): Promise<boolean> {
    if (!run.pid) return false;
    try {
      // `setpriv … -- /bin/sh -c WRAPPER runyard-run DIR …` until setpriv has switched the account, then the wrapper itself.
      const parts = (await readFile(`/proc/${run.pid}/cmdline`, 'latin1')).split('\0');
      const at = parts.indexOf(WRAPPER_NAME);
      return at > 0 && parts[at - 1] === WRAPPER_SCRIPT && parts[at + 1] === this.dirOf(run);
    } catch {
      return false;
    }
  }

  async signal(run: RunRef, signal: NodeJS.Signals): Promise<void> {
    if (!run.pid || !(await this.isAlive(run))) return;
    try {
      process.kill(-run.pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }

  /** As the run's own account (its directory's owner), else its RUN_AS account, else nobody; with the environment runs inherit. */
  exec(run: RunRef, command: string[], stdin: string | undefined, timeoutMs: number): Promise<{ exit: ExitInfo; output: string }> {
    const done = this.execAs(run, command, stdin, timeoutMs);
    if (run.runDir) {
      const dir = run.runDir;
      const running = this.commands.get(dir) ?? new Set<Promise<unknown>>();
      this.commands.set(dir, running.add(done));
      void done.finally(() => running.delete(done) && running.size === 0 && this.commands.delete(dir));
    }
    return done;
  }

  private execAs(
    run: RunRef,
    command: string[],
    stdin: string | undefined,
    timeoutMs: number,
  ): Promise<{ exit: ExitInfo; output: string }> {
    return new Promise((resolve) => {
      const request = accountRequest(this.isolation, run.settings?.runAs);
      let account: RunAccount | null;
      try {
        account =
          request === null
            ? null
            : ((run.runDir ? accountOwning(run.runDir) : null) ?? ('name' in request ? namedAccount(request.name) : NOBODY));
      } catch (e) {
        return resolve({ exit: { code: 127, signal: null }, output: `${(e as Error).message}\n` });
      }
      const argv = asAccount(account, command);
      const identity = account ? accountEnvironment(account) : {};
      const child = spawn(argv[0], argv.slice(1), {
        stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: { ...this.isolation.inherited, ...identity },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
      });
      const chunks: Buffer[] = [];
      child.stdout!.on('data', (d: Buffer) => chunks.push(d));
      child.stderr!.on('data', (d: Buffer) => chunks.push(d));
      if (stdin !== undefined) child.stdin!.end(stdin);
      child.once('error', (e) => resolve({ exit: { code: 127, signal: null }, output: `${command[0]}: ${e.message}\n` }));
      child.once('close', (code, signal) => resolve({ exit: { code, signal }, output: Buffer.concat(chunks).toString('utf8') }));
    });
  }

  output(run: RunRef): OutputSource {
    return new LocalOutput(this.dirOf(run));
  }

  /** Its release ends every process of a uid of its own: a command of the run still running (`autosubmit stop`) finishes first. */
  async release(run: RunRef): Promise<void> {
    const dir = this.dirOf(run);
    await Promise.allSettled(this.commands.get(dir) ?? []);
    await this.spawner.release(dir);
  }

  async close(): Promise<void> {
    this.spawner.close();
  }

  /** At most `limit` bytes (one more tells the caller it was larger). */
  resultFile(run: RunRef, limit = MAX_RESULT_FILE_BYTES): Promise<Buffer | null> {
    return readRunFile(join(this.dirOf(run), RESULT_FILE), limit);
  }

  private async recordedExit(dir: string): Promise<ExitInfo | null> {
    const code = parseExitFile((await readRunFile(join(dir, 'exit'), 16))?.toString('utf8') ?? null);
    return code === null ? null : { code, signal: null };
  }

  /** For a process that is not our child: poll until it is gone, then read what the wrapper recorded. */
  private async watchExit(run: RunRef): Promise<ExitInfo | null> {
    while (await this.isAlive(run)) await new Promise((r) => setTimeout(r, POLL_MS));
    return this.recordedExit(this.dirOf(run));
  }
}

/** RUNNER_TYPE: LOCAL — on the worker's own machine; only a worker there can follow the run. */
export const LOCAL_RUNNER: RunnerDefinition = {
  type: 'LOCAL',
  hostBound: true,
  remote: false,
  create: (context) => {
    const isolation = runIsolation();
    context.log?.(`LOCAL: ${describeIsolation(isolation)}`);
    return new LocalRunner(join(context.dataDir, 'runs'), isolation);
  },
};

/** The run's output files, opened once and read at offsets. */
class LocalOutput implements OutputSource {
  readonly pollMs = 100;
  private readonly handles: Partial<Record<OutputStream, FileHandle>> = {};
  /** The size the open's own check found, answered by the size() that opened the file (a second fstat would tell the same). */
  private readonly opened: Partial<Record<OutputStream, number>> = {};

  constructor(private readonly dir: string) {}

  /** What the open file holds: the file the run was started with, whatever the run later puts under its name. */
  async size(stream: OutputStream): Promise<number> {
    const handle = await this.handle(stream);
    const justOpened = this.opened[stream];
    if (justOpened !== undefined) {
      delete this.opened[stream];
      return justOpened;
    }
    return (await handle?.stat().catch(() => null))?.size ?? 0;
  }

  async read(stream: OutputStream, offset: number, length: number): Promise<Buffer> {
    const handle = await this.handle(stream);
    // Only the size() that opened the file may answer the open's size: later, it would be an old one.
    delete this.opened[stream];
    if (!handle) return Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  }

  private async handle(stream: OutputStream): Promise<FileHandle | null> {
    if (!this.handles[stream]) {
      const file = await openRunFile(join(this.dir, stream));
      if (file) [this.handles[stream], this.opened[stream]] = [file.handle, file.size];
    }
    return this.handles[stream] ?? null;
  }

  async close(): Promise<void> {
    await Promise.allSettled(Object.values(this.handles).map((h) => h!.close()));
  }
}
