import { spawn } from 'node:child_process';
import { FileHandle, open, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Run } from '@runyard/persistence';
import { MAX_RESULT_FILE_BYTES } from '@runyard/scripts';
import { Attachment, ExitInfo, LaunchRef, OutputSource, OutputStream, Runner, RunnerDefinition, RunningProcess, RunRef } from './runner';
import { Spawner } from './local/spawner';
import { childEnvironment, runFiles } from './run-environment';
import { parseExitFile, RESULT_FILE, WRAPPER_NAME, WRAPPER_SCRIPT } from './run-wrapper';

const POLL_MS = 250;

/** Runs on the worker's own machine, detached, in its own directory under RUNYARD_DATA_DIR/runs with its output in files there. */
export class LocalRunner implements Runner {
  readonly type = 'LOCAL';
  private readonly host = hostname();
  private readonly spawner = new Spawner(childEnvironment(process.env, undefined));

  constructor(private readonly runsDir: string) {}

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
      const parts = (await readFile(`/proc/${run.pid}/cmdline`, 'latin1')).split('\0');
      return parts[3] === WRAPPER_NAME && parts[4] === this.dirOf(run);
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

  exec(
    _run: Pick<Run, 'settings'>,
    argv: string[],
    stdin: string | undefined,
    timeoutMs: number,
  ): Promise<{ exit: ExitInfo; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(argv[0], argv.slice(1), {
        stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: childEnvironment(process.env, undefined),
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
      });
      const chunks: Buffer[] = [];
      child.stdout!.on('data', (d: Buffer) => chunks.push(d));
      child.stderr!.on('data', (d: Buffer) => chunks.push(d));
      if (stdin !== undefined) child.stdin!.end(stdin);
      child.once('error', (e) => resolve({ exit: { code: 127, signal: null }, output: `${argv[0]}: ${e.message}\n` }));
      child.once('close', (code, signal) => resolve({ exit: { code, signal }, output: Buffer.concat(chunks).toString('utf8') }));
    });
  }

  output(run: RunRef): OutputSource {
    return new LocalOutput(this.dirOf(run));
  }

  async release(run: RunRef): Promise<void> {
    await this.spawner.release(this.dirOf(run));
  }

  async close(): Promise<void> {
    this.spawner.close();
  }

  /** At most `limit` bytes (one more tells the caller it was larger). */
  async resultFile(run: RunRef, limit = MAX_RESULT_FILE_BYTES): Promise<Buffer | null> {
    const handle = await open(join(this.dirOf(run), RESULT_FILE), 'r').catch(() => null);
    if (!handle) return null;
    try {
      const buf = Buffer.allocUnsafe(limit + 1);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  private async recordedExit(dir: string): Promise<ExitInfo | null> {
    const code = parseExitFile(await readFile(join(dir, 'exit'), 'utf8').catch(() => null));
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
  create: (context) => new LocalRunner(join(context.dataDir, 'runs')),
};

/** The run's output files, opened once and read at offsets. */
class LocalOutput implements OutputSource {
  readonly pollMs = 100;
  private readonly handles: Partial<Record<OutputStream, FileHandle>> = {};

  constructor(private readonly dir: string) {}

  async size(stream: OutputStream): Promise<number> {
    return (await stat(join(this.dir, stream)).catch(() => null))?.size ?? 0;
  }

  async read(stream: OutputStream, offset: number, length: number): Promise<Buffer> {
    const handle = (this.handles[stream] ??= await open(join(this.dir, stream), 'r'));
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  }

  async close(): Promise<void> {
    await Promise.allSettled(Object.values(this.handles).map((h) => h!.close()));
  }
}
