import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** A real OpenSSH server on loopback for end-to-end tests of the SSH runner. */
export interface TestSshd {
  host: '127.0.0.1';
  port: number;
  /** The current OS user (root when the tests run as root). */
  user: string;
  /** Private key (ed25519, no passphrase) authorised for user. */
  clientKeyPath: string;
  /** known_hosts with one line for [127.0.0.1]:port holding the server's host key. */
  knownHostsPath: string;
  /** 'SHA256:…' of the server host key, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** Holds the keys, sshd_config, pid file and the server log (sshd.log). */
  dir: string;
  /** Kills the per-connection sshd children (drops every SSH session) while the listener stays up. */
  dropConnections(): Promise<void>;
  /** Stop and start the listener on the same port with the same host key. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';
const START_TIMEOUT_MS = 10_000;

/**
 * Starts /usr/sbin/sshd in the foreground on a free loopback port with fresh keys in a temp dir.
 * `env` is set in every remote session through sshd's SetEnv (sessions do not inherit sshd's own environment).
 */
export async function startSshd(opts: { env?: Record<string, string> } = {}): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'runyard-sshd-'));
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const clientKeyPath = join(dir, 'client_ed25519');
  const authorizedKeys = join(dir, 'authorized_keys');
  const knownHostsPath = join(dir, 'known_hosts');
  const configPath = join(dir, 'sshd_config');
  const logPath = join(dir, 'sshd.log');

  keygen(hostKey, 'runyard-test-sshd-host');
  keygen(clientKeyPath, 'runyard-test-client');
  writeFileSync(authorizedKeys, readFileSync(`${clientKeyPath}.pub`));
  const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
  const hostKeyFingerprint = execFileSync('ssh-keygen', ['-lf', `${hostKey}.pub`], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)[1];

  const port = await freePort();
  writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`);
  writeFileSync(configPath, sshdConfig({ port, hostKey, authorizedKeys, pidFile: join(dir, 'sshd.pid'), env: opts.env ?? {} }));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // the privilege separation dir sshd insists on

  let listener: ChildProcess | null = await launch(configPath, logPath, port);
  const killOnExit = () => listener?.pid !== undefined && tryKill(listener.pid, 'SIGKILL');
  process.on('exit', killOnExit);

  const stopListener = async (): Promise<void> => {
    const l = listener;
    listener = null;
    if (!l || l.exitCode !== null || l.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => l.once('exit', () => resolve()));
    l.kill('SIGTERM');
    const timer = setTimeout(() => l.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  const dropConnections = async (): Promise<void> => {
    if (listener?.pid === undefined) return;
    const pids = sshdDescendants(listener.pid);
    for (const pid of pids) tryKill(pid, 'SIGKILL');
    await waitFor(() => pids.every((pid) => !alive(pid)), 5000, 'the per-connection sshd processes to die');
  };

  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    clientKeyPath,
    knownHostsPath,
    hostKeyFingerprint,
    dir,
    dropConnections,
    async restart() {
      await stopListener();
      listener = await launch(configPath, logPath, port);
    },
    async stop() {
      await dropConnections();
      await stopListener();
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The sshd_config written for the test server. */
function sshdConfig(o: { port: number; hostKey: string; authorizedKeys: string; pidFile: string; env: Record<string, string> }): string {
  const lines = [
    'ListenAddress 127.0.0.1',
    `Port ${o.port}`,
    `HostKey ${o.hostKey}`,
    `PidFile ${o.pidFile}`,
    `AuthorizedKeysFile ${o.authorizedKeys}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    'StrictModes no',
    'MaxSessions 64',
    'MaxStartups 100',
    'PrintMotd no',
    'Subsystem sftp internal-sftp',
    'LogLevel VERBOSE',
  ];
  // sshd honours only the FIRST SetEnv line (later ones are ignored): every variable goes on one line.
  const vars = Object.entries(o.env).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`startSshd: invalid environment variable name '${name}'`);
    if (/[\r\n]/.test(value)) throw new Error(`startSshd: the value of ${name} contains a newline, which sshd_config cannot express`);
    return `"${`${name}=${value}`.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  });
  if (vars.length > 0) lines.push(`SetEnv ${vars.join(' ')}`);
  return lines.join('\n') + '\n';
}

function keygen(path: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

/** A port nothing listens on right now (bind port 0, read it back, release it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Spawns `sshd -D` and resolves once the port answers with an SSH banner; rejects (with the log) if sshd exits first. */
async function launch(configPath: string, logPath: string, port: number): Promise<ChildProcess> {
  const child = spawn(SSHD, ['-D', '-f', configPath, '-E', logPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  child.once('error', (err) => (exited = `failed to start: ${err.message}`));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited !== null) {
      let log = '';
      try {
        log = readFileSync(logPath, 'utf8');
      } catch {
        // no log yet
      }
      throw new Error(`sshd ${exited}\nstderr: ${stderr}\nlog (${logPath}):\n${log}`);
    }
    if (await answersSsh(port)) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sshd did not accept connections on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms; see ${logPath}`);
    }
    await sleep(25);
  }
}

/** True when 127.0.0.1:port accepts a connection and sends an 'SSH-' identification line. */
function answersSsh(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('error', () => done(false));
    sock.once('data', (d) => done(d.toString('latin1').startsWith('SSH-')));
  });
}

interface ProcInfo {
  pid: number;
  comm: string;
  ppid: number;
}

function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      out.push({ pid: Number(entry), comm: stat.slice(open + 1, close), ppid });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * The listener's per-connection children and their sshd descendants (privsep monitor, the session process,
 * `sshd-session` on OpenSSH ≥ 9.8), but none of the commands they started: those must survive like after a
 * network cut.
 */
function sshdDescendants(listenerPid: number): number[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of processes()) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of byParent.get(pid) ?? []) {
      if (!child.comm.startsWith('sshd')) continue;
      found.push(child.pid);
      walk(child.pid);
    }
  };
  walk(listenerPid);
  return found;
}

/** True while the process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
