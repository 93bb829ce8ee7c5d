import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Run } from '@runyard/persistence';
import { ExitInfo, OutputFiles, Runner, RunningProcess } from './runner';

/**
 * The constant wrapper every LOCAL run executes under. User values arrive only as positional
 * parameters: $1 is the run directory, the rest is the argv. It records the real exit status in
 * a file, so a worker that re-attaches after a restart still learns how the run ended. The trap
 * keeps the wrapper alive to record the status when the process group is signalled; traps with
 * a handler are reset in the child, so the command itself still receives the signal.
 */
const WRAPPER =
  'd=$1; shift; trap : INT TERM HUP; "$@"; c=$?; printf "%s\\n" "$c" > "$d/exit.tmp" && mv "$d/exit.tmp" "$d/exit"; exit "$c"';
const WRAPPER_NAME = 'runyard-run';
const POLL_MS = 250;

export class LocalRunner implements Runner {
  readonly type = 'LOCAL';
  private readonly host = hostname();

  constructor(private readonly runsDir: string) {}

  private dirOf(runId: number): string {
    return join(this.runsDir, String(runId));
  }

  outputFiles(run: Pick<Run, 'id'>): OutputFiles {
    const dir = this.dirOf(run.id);
    return { stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr') };
  }

  async launch(run: Pick<Run, 'id' | 'argv' | 'settings'>): Promise<RunningProcess> {
    const dir = this.dirOf(run.id);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const output = this.outputFiles(run);
    const out = await open(output.stdout, 'a');
    const err = await open(output.stderr, 'a');
    const stdin = run.settings.stdin;
    try {
      const child = spawn('/bin/sh', ['-c', WRAPPER, WRAPPER_NAME, dir, ...run.argv], {
        detached: true, // its own session and process group: it survives the worker and is signalled as a group
        stdio: [stdin === undefined ? 'ignore' : 'pipe', out.fd, err.fd],
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('spawn', () => resolve(child.pid!));
        child.once('error', reject);
      });
      if (stdin !== undefined) child.stdin!.end(stdin);
      child.unref();
      const exited = new Promise<ExitInfo | null>((resolve) => {
        child.once('exit', (code, signal) => {
          void this.recordedExit(run.id).then((recorded) => resolve(recorded ?? { code, signal }));
        });
      });
      return { pid, host: this.host, output, exited };
    } finally {
      await out.close();
      await err.close();
    }
  }

  async attach(run: Pick<Run, 'id' | 'pid' | 'host'>): Promise<RunningProcess | { exit: ExitInfo } | null> {
    if (run.pid && (await this.isAlive(run))) {
      return { pid: run.pid, host: this.host, output: this.outputFiles(run), exited: this.watchExit(run) };
    }
    const recorded = await this.recordedExit(run.id);
    return recorded ? { exit: recorded } : null;
  }

  /** Alive and still our wrapper for this run (a recycled pid belongs to someone else). */
  async isAlive(run: Pick<Run, 'id' | 'pid'>): Promise<boolean> {
    if (!run.pid) return false;
    try {
      const cmdline = await readFile(`/proc/${run.pid}/cmdline`, 'latin1');
      const parts = cmdline.split('\0');
      return parts[3] === WRAPPER_NAME && parts[4] === this.dirOf(run.id);
    } catch {
      return false;
    }
  }

  async signal(run: Pick<Run, 'id' | 'pid'>, signal: NodeJS.Signals): Promise<void> {
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

  async release(run: Pick<Run, 'id'>): Promise<void> {
    await rm(this.dirOf(run.id), { recursive: true, force: true });
  }

  private async recordedExit(runId: number): Promise<ExitInfo | null> {
    try {
      const text = await readFile(join(this.dirOf(runId), 'exit'), 'utf8');
      const code = Number.parseInt(text.trim(), 10);
      return Number.isNaN(code) ? null : { code, signal: null };
    } catch {
      return null;
    }
  }

  /** For a process that is not our child: poll until it is gone, then read what the wrapper recorded. */
  private async watchExit(run: Pick<Run, 'id' | 'pid'>): Promise<ExitInfo | null> {
    while (await this.isAlive(run)) await new Promise((r) => setTimeout(r, POLL_MS));
    return this.recordedExit(run.id);
  }
}
