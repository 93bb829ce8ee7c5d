import type { Run } from '@runyard/persistence';
import {
  Attachment,
  ExitInfo,
  LaunchFailedError,
  LaunchRef,
  OutputSource,
  OutputStream,
  Runner,
  RunnerDefinition,
  RunningProcess,
  RunRef,
} from '../runner';
import { envArguments, runFiles } from '../run-environment';
import { parseExitFile, WRAPPER_NAME, WRAPPER_SCRIPT } from '../run-wrapper';
import { shellJoin, shellQuote } from '../shell-quote';
import { SshConnection, SshConnectionPool } from './ssh-connection';
import { SSH_PROFILE, SshTarget } from './ssh-profile';

/**
 * Constant remote scripts; every value they use arrives as a quoted positional parameter.
 * `setsid` gives the run its own session and process group (pgid = pid), so it is signalled as a
 * group and survives the SSH connection; its output and exit status go to files in the run directory.
 */
const LAUNCH = [
  'root=$1; id=$2; stdin=$3; shift 3',
  // Secrets arrive on this script's stdin, one NAME=value per line: exported, never on a command line.
  'while IFS= read -r kv; do case "$kv" in [A-Za-z_]*=*) export "$kv" ;; esac; done',
  'umask 077',
  'mkdir -p "$root/$id" || exit 90',
  'd=$(cd "$root/$id" && pwd -P) || exit 90',
  'cd "$d" || exit 90',
  'rm -f "$d/exit" "$d/stdout" "$d/stderr"',
  'if [ -n "$stdin" ]; then printf "%s" "$stdin" > "$d/stdin"; else : > "$d/stdin"; fi',
  `setsid /bin/sh -c ${shellQuote(WRAPPER_SCRIPT)} ${WRAPPER_NAME} "$d" "$@" < "$d/stdin" > "$d/stdout" 2> "$d/stderr" &`,
  'echo "$! $d"',
].join('\n');

/** Creates the run directory and answers its real path (for the files written before the launch). */
const MKDIR = ['root=$1; id=$2', 'umask 077', 'mkdir -p "$root/$id" || exit 90', 'cd "$root/$id" && pwd -P'].join('\n');

/** `exit N` when the wrapper recorded a status, `alive` while our wrapper for this run directory lives, else `gone`. */
const STATUS = [
  'd=$1; p=$2',
  // An exit file is complete once it ends with its newline (the wrapper writes it in one go).
  'if c=$(cat "$d/exit" 2>/dev/null) && [ -n "$c" ]; then echo "exit $c"',
  `elif kill -0 "$p" 2>/dev/null && tr '\\0' '\\n' < "/proc/$p/cmdline" 2>/dev/null | grep -qxF -- "$d"; then echo alive`,
  'else echo gone; fi',
].join('\n');

/** Signals the process group only if its leader is still this run's wrapper (pids get reused). */
const SIGNAL = `d=$1; p=$2; s=$3; tr '\\0' '\\n' < "/proc/$p/cmdline" 2>/dev/null | grep -qxF -- "$d" && kill -s "$s" -- "-$p"`;

const RELEASE = 'd=$1; case "$d" in */[0-9]*) rm -rf -- "$d" ;; esac';

/** Secrets as the lines LAUNCH reads; a value with a line break cannot travel that way and is refused. */
function secretLines(secrets: Record<string, string>): string {
  return envArguments(secrets)
    .map((kv) => {
      if (/[\r\n\0]/.test(kv)) throw new Error(`secret ${kv.split('=')[0]} holds a line break`);
      return `${kv}\n`;
    })
    .join('');
}

/** `sh -c SCRIPT NAME ARGS…` as one line of shell text for the remote login shell. */
const remote = (script: string, ...args: string[]) => shellJoin(['/bin/sh', '-c', script, 'runyard', ...args]);

const POLL_MS = 1000;

/** Runs on an SSH host; the state (pid, output, exit status) lives there, so any worker can follow any run. */
export class SshRunner implements Runner {
  readonly type = 'SSH';

  constructor(
    private readonly pool: SshConnectionPool,
    private readonly pollMs = POLL_MS,
  ) {}

  private targetOf(run: Pick<Run, 'settings'>): SshTarget {
    if (!run.settings.target) throw new Error('an SSH run without SSH settings');
    return run.settings.target as SshTarget;
  }

  private connection(run: Pick<Run, 'settings'>): Promise<SshConnection> {
    return this.pool.get(this.targetOf(run));
  }

  async launch(run: LaunchRef, secrets: Record<string, string> = {}): Promise<RunningProcess> {
    const target = this.targetOf(run);
    const conn = await this.connection(run);
    const files = runFiles(run.settings.files);
    if (files.length > 0) await this.writeFiles(conn, target, run.id, files);
    // The run's environment as `env NAME=value …` before the command: separate, quoted arguments.
    const env = envArguments(run.settings.env);
    const argv = env.length > 0 ? ['env', ...env, ...run.argv] : run.argv;
    const res = await conn.exec(remote(LAUNCH, target.runRoot, String(run.id), run.settings.stdin ?? '', ...argv), {
      stdin: secretLines(secrets),
    });
    const match = /^(\d+) (\/.*)$/m.exec(res.stdout);
    if (res.code !== 0 || !match) {
      // The start script exits non-zero only before the wrapper was started.
      const Failure = res.code !== 0 ? LaunchFailedError : Error;
      throw new Failure(`could not start the run on ${target.host}: ${(res.stderr || res.stdout).trim() || `exit ${res.code}`}`);
    }
    const ref = { id: run.id, settings: run.settings, pid: Number(match[1]), runDir: match[2], host: target.host };
    return { pid: ref.pid, host: target.host, runDir: ref.runDir, exited: this.watch(ref) };
  }

  private async writeFiles(conn: SshConnection, target: SshTarget, id: number, files: ReturnType<typeof runFiles>): Promise<void> {
    const res = await conn.exec(remote(MKDIR, target.runRoot, String(id)));
    const dir = res.stdout.trim();
    if (res.code !== 0 || !dir.startsWith('/'))
      throw new LaunchFailedError(`could not prepare the run directory on ${target.host}: ${res.stderr.trim() || `exit ${res.code}`}`);
    const sftp = await conn.sftp();
    for (const f of files) {
      await new Promise<void>((resolve, reject) =>
        sftp.writeFile(`${dir}/${f.name}`, f.data, { mode: f.mode }, (err) => (err ? reject(err) : resolve())),
      );
    }
  }

  async attach(run: RunRef): Promise<Attachment> {
    const state = await this.state(run);
    if (state === 'alive') {
      const process = { pid: run.pid!, host: run.host ?? this.targetOf(run).host, runDir: run.runDir!, exited: this.watch(run) };
      return { state: 'running', process };
    }
    return state === 'gone' ? { state: 'vanished' } : { state: 'exited', exit: state };
  }

  async signal(run: RunRef, signal: NodeJS.Signals): Promise<void> {
    if (!run.pid || !run.runDir) return;
    const conn = await this.connection(run);
    await conn.exec(remote(SIGNAL, run.runDir, String(run.pid), signal.replace(/^SIG/, '')));
  }

  async exec(
    run: Pick<Run, 'settings'>,
    argv: string[],
    stdin: string | undefined,
    timeoutMs: number,
  ): Promise<{ exit: ExitInfo; output: string }> {
    const conn = await this.connection(run);
    const res = await conn.exec(shellJoin(argv), { stdin, timeoutMs });
    return { exit: { code: res.code, signal: res.signal }, output: res.stdout + res.stderr };
  }

  output(run: RunRef): OutputSource {
    return new SftpOutput(() => this.connection(run), run.runDir!);
  }

  async release(run: RunRef): Promise<void> {
    if (!run.runDir) return;
    const conn = await this.connection(run);
    await conn.exec(remote(RELEASE, run.runDir));
  }

  async close(): Promise<void> {
    this.pool.closeAll();
  }

  /** The remote truth: alive, gone without a status, or the recorded exit. Connection errors propagate. */
  private async state(run: RunRef): Promise<'alive' | 'gone' | ExitInfo> {
    if (!run.pid || !run.runDir) return 'gone';
    const conn = await this.connection(run);
    const res = await conn.exec(remote(STATUS, run.runDir, String(run.pid)));
    const line = res.stdout.trim();
    if (line === 'alive' || line === 'gone') return line;
    const code = parseExitFile(`${line.replace(/^exit /, '')}\n`);
    if (line.startsWith('exit ') && code !== null) return { code, signal: null };
    throw new Error(`unexpected answer from ${run.host} about run ${run.id}: ${line || res.stderr.trim()}`);
  }

  /**
   * Polls until the process is gone. A lost connection is not a lost run: it keeps trying (the pool
   * backs off) and answers null only when the host says the process is gone without an exit status.
   */
  private async watch(run: RunRef): Promise<ExitInfo | null> {
    for (;;) {
      await new Promise((r) => setTimeout(r, this.pollMs));
      try {
        const state = await this.state(run);
        if (state === 'alive') continue;
        if (state !== 'gone') return state;
        // Gone: the wrapper may have written its status between the two checks.
        const again = await this.state(run);
        return again === 'gone' || again === 'alive' ? null : again;
      } catch {
        // Unreachable for now: the pool reconnects on the next poll.
      }
    }
  }
}

/** The run's output files read over the connection's SFTP session, at offsets. */
class SftpOutput implements OutputSource {
  readonly pollMs = POLL_MS;

  constructor(
    private readonly connect: () => Promise<SshConnection>,
    private readonly dir: string,
  ) {}

  async size(stream: OutputStream): Promise<number> {
    const sftp = await (await this.connect()).sftp();
    return new Promise((resolve, reject) =>
      sftp.stat(`${this.dir}/${stream}`, (err, st) =>
        err ? ((err as { code?: number }).code === 2 ? resolve(0) : reject(err)) : resolve(st.size),
      ),
    );
  }

  async read(stream: OutputStream, offset: number, length: number): Promise<Buffer> {
    const sftp = await (await this.connect()).sftp();
    const path = `${this.dir}/${stream}`;
    const handle = await new Promise<Buffer>((resolve, reject) => sftp.open(path, 'r', (err, h) => (err ? reject(err) : resolve(h))));
    try {
      const chunks: Buffer[] = [];
      let got = 0;
      while (got < length) {
        const buf = Buffer.allocUnsafe(Math.min(length - got, 32 * 1024));
        const n = await new Promise<number>((resolve, reject) =>
          sftp.read(handle, buf, 0, buf.length, offset + got, (err, bytesRead) =>
            // SSH_FX_EOF (1): nothing more to read yet.
            err ? ((err as { code?: number }).code === 1 ? resolve(0) : reject(err)) : resolve(bytesRead),
          ),
        );
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        got += n;
      }
      return Buffer.concat(chunks);
    } finally {
      sftp.close(handle, () => undefined);
    }
  }

  async close(): Promise<void> {
    /* the SFTP session belongs to the pooled connection */
  }
}

/** RUNNER_TYPE: SSH — the run's state lives on the remote host, so any worker can follow it. */
export const SSH_RUNNER: RunnerDefinition = {
  type: 'SSH',
  hostBound: false,
  remote: true,
  ...SSH_PROFILE,
  create: () => new SshRunner(new SshConnectionPool()),
};
