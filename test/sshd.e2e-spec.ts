import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSshd, TestSshd } from './support/sshd';
import { processAlive } from './support/fake-autosubmit';

// Self-test of the OpenSSH test server, driven by the OpenSSH client (not ssh2), so the harness is checked
// independently of Runyard's SSH runner.

const run = promisify(execFile);

const ENV = {
  MODULEPATH: '/opt/modules/a:/opt/modules/b',
  FAKE_AUTOSUBMIT_STATE: '/tmp/some state "dir"',
};

let sshd: TestSshd;
let startMs: number;

function sshArgs(command: string, knownHosts = sshd.knownHostsPath): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    sshd.clientKeyPath,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-p',
    String(sshd.port),
    `${sshd.user}@${sshd.host}`,
    command,
  ];
}

function ssh(command: string, knownHosts?: string): Promise<{ stdout: string; stderr: string }> {
  return run('ssh', sshArgs(command, knownHosts), { timeout: 15000 });
}

/** Starts a long `ssh` session; resolves once the remote side printed its first line (the remote shell's pid). */
function longSession(command: string) {
  const child = spawn('ssh', sshArgs(`echo $$; ${command}`), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = new Promise<string[]>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('\n') && resolve(out.trim().split('\n')));
    exited.then(() => reject(new Error(`ssh exited before the remote command started: ${out}`)));
  });
  return { child, started, exited, out: () => out };
}

const remoteLeftovers: number[] = [];

beforeAll(async () => {
  const t0 = Date.now();
  sshd = await startSshd({ env: ENV });
  startMs = Date.now() - t0;
});

afterAll(async () => {
  for (const pid of remoteLeftovers) {
    try {
      process.kill(-pid, 'SIGKILL'); // the remote shell leads its session's process group
    } catch {
      // gone
    }
  }
  await sshd?.stop();
});

describe('test sshd', () => {
  it('starts quickly and reports its host key', () => {
    expect(startMs).toBeLessThan(5000);
    expect(sshd.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(sshd.user).toBe('root');
  });

  it('runs a command with strict host key checking, and sessions see the SetEnv variables', async () => {
    const { stdout } = await ssh('echo ok; echo $MODULEPATH; echo "$FAKE_AUTOSUBMIT_STATE"; echo "$PATH"');
    const [ok, modulePath, state, path] = stdout.split('\n');
    expect(ok).toBe('ok');
    expect(modulePath).toBe(ENV.MODULEPATH);
    expect(state).toBe(ENV.FAKE_AUTOSUBMIT_STATE);
    expect(path).toContain('/usr/bin');
  });

  it('refuses to connect with an empty known_hosts', async () => {
    const empty = join(sshd.dir, 'empty_known_hosts');
    writeFileSync(empty, '');
    await expect(ssh('echo ok', empty)).rejects.toMatchObject({ stderr: expect.stringContaining('Host key verification failed') });
  });

  it('dropConnections ends a running session quickly; the listener still accepts connections', async () => {
    const s = longSession('sleep 30');
    const [shellPid] = await s.started;
    remoteLeftovers.push(Number(shellPid));
    const t0 = Date.now();
    await sshd.dropConnections();
    const code = await s.exited;
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(code).not.toBe(0);
    const { stdout } = await ssh('echo again');
    expect(stdout).toBe('again\n');
  });

  it('a detached command started through ssh survives dropConnections', async () => {
    const s = longSession('setsid sleep 30 </dev/null >/dev/null 2>&1 & echo $!; sleep 30');
    const out = await new Promise<string[]>((resolve) => {
      const poll = setInterval(() => {
        const lines = s.out().trim().split('\n');
        if (lines.length >= 2) {
          clearInterval(poll);
          resolve(lines);
        }
      }, 20);
    });
    const [shellPid, detachedPid] = out.map(Number);
    remoteLeftovers.push(shellPid);
    expect(processAlive(detachedPid)).toBe(true);
    await sshd.dropConnections();
    await s.exited;
    await new Promise((r) => setTimeout(r, 200));
    expect(processAlive(detachedPid)).toBe(true);
    process.kill(detachedPid, 'SIGKILL');
  });

  it('restart keeps the port and the host key', async () => {
    await sshd.restart();
    const { stdout } = await ssh('echo restarted');
    expect(stdout).toBe('restarted\n');
  });
});
