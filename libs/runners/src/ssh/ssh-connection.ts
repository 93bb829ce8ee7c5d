import { readFile } from 'node:fs/promises';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { RunnerUnreachableError } from '../runner';
import { hostKeyVerifier } from './host-key';
import type { SshTarget } from './ssh-profile';

/** OpenSSH allows 10 sessions per connection by default (MaxSessions): stay under it. */
const MAX_CHANNELS = 8;

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export class SshUnavailableError extends RunnerUnreachableError {}

/** One authenticated SSH connection: exec channels (bounded) and one SFTP session, shared by every run on it. */
export class SshConnection {
  private sftpSession?: Promise<SFTPWrapper>;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  closed = false;

  constructor(readonly client: Client) {
    client.once('close', () => (this.closed = true));
  }

  /**
   * Runs shell text on the remote host; stdin, if any, is written and closed. On timeout it answers
   * at once (code null): OpenSSH closes the channel only when the command ends, which may be never.
   */
  async exec(command: string, opts: { stdin?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    await this.acquire();
    return new Promise<ExecResult>((resolve, reject) => {
      this.client.exec(command, (err, channel: ClientChannel) => {
        if (err) {
          this.release();
          return reject(err);
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        const answer = (code: number | null, signal: string | null) =>
          resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8') });
        const timer = opts.timeoutMs
          ? setTimeout(() => {
              answer(null, 'TIMEOUT');
              channel.signal('KILL');
              channel.close();
            }, opts.timeoutMs)
          : undefined;
        channel.on('data', (d: Buffer) => out.push(d));
        channel.stderr.on('data', (d: Buffer) => errOut.push(d));
        channel.once('close', (code: number | null, signal?: string) => {
          clearTimeout(timer);
          this.release(); // the channel slot is free only once the server closed it
          answer(code ?? null, signal ?? null);
        });
        channel.end(opts.stdin);
      });
    });
  }

  sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp)));
    }).catch((e) => {
      this.sftpSession = undefined;
      throw e;
    });
    return this.sftpSession;
  }

  close(): void {
    this.closed = true;
    this.client.end();
  }

  private async acquire(): Promise<void> {
    if (this.active >= MAX_CHANNELS) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}

/** ssh2 (its crypto, its WebAssembly) loads with the first connection: a worker whose profiles reach no SSH host never holds it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first used
const ssh2 = (): typeof import('ssh2') => require('ssh2');

/**
 * Connections pooled per user@host:port (and key and host key policy): many runs on one host share one connection. A lost
 * connection is re-established on the next use: callers that need one while an attempt is under way share it, and
 * nobody is refused without a fresh attempt (a host back after an outage is used at once). The callers that poll
 * (output, exit watch) set the pace of retries.
 */
export class SshConnectionPool {
  private readonly connections = new Map<string, Promise<SshConnection>>();
  /** Connections opened so far (for the logs and the tests of sharing). */
  opened = 0;

  async get(target: SshTarget): Promise<SshConnection> {
    // Connections are shared only by runs that would have verified and authenticated them the same way.
    const key = [
      `${target.user}@${target.host}:${target.port}`,
      target.identityFile ?? `env:${target.identityEnv ?? ''}`,
      target.knownHostsFile ?? '',
      target.hostKeyFingerprint ?? '',
      target.strictHostKeyChecking,
    ].join('|');
    const current = this.connections.get(key);
    if (current) {
      // An attempt under way is this caller's attempt too: its failure is the answer.
      const conn = await current;
      if (!conn.closed) return conn;
      if (this.connections.get(key) === current) this.connections.delete(key);
    }
    const pending = this.connect(target).catch((error: Error) => {
      if (this.connections.get(key) === pending) this.connections.delete(key);
      throw error;
    });
    this.connections.set(key, pending);
    return pending;
  }

  closeAll(): void {
    for (const pending of this.connections.values())
      void pending.then(
        (c) => c.close(),
        () => undefined,
      );
    this.connections.clear();
  }

  private async connect(target: SshTarget): Promise<SshConnection> {
    const privateKey = await privateKeyOf(target);
    const verifier = hostKeyVerifier(
      { knownHostsFile: target.knownHostsFile, fingerprint: target.hostKeyFingerprint, strict: target.strictHostKeyChecking },
      target.host,
      target.port,
    );
    const client = new (ssh2().Client)();
    this.opened++;
    return new Promise<SshConnection>((resolve, reject) => {
      client.once('ready', () => resolve(new SshConnection(client)));
      // For the client's whole life: ssh2 may emit several errors (a reset, then the close), and one unheard would kill the worker.
      client.on('error', (e) =>
        reject(verifier.refusal() ?? new SshUnavailableError(`${target.user}@${target.host}:${target.port}: ${e.message}`)),
      );
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey,
        agent: privateKey ? undefined : process.env.SSH_AUTH_SOCK,
        hostVerifier: (key: Buffer) => verifier.verify(key),
        readyTimeout: target.connectTimeoutMs,
        keepaliveInterval: target.keepaliveIntervalMs,
        keepaliveCountMax: 3,
      });
    });
  }
}

/** The key comes from a file or an environment variable the admin named, never from the YAML itself. */
async function privateKeyOf(target: SshTarget): Promise<Buffer | string | undefined> {
  if (target.identityFile) return readFile(target.identityFile);
  if (target.identityEnv) {
    const key = process.env[target.identityEnv];
    if (!key) throw new SshUnavailableError(`the environment variable ${target.identityEnv} holding the SSH private key is not set`);
    return key;
  }
  if (!process.env.SSH_AUTH_SOCK)
    throw new SshUnavailableError(
      `no private key configured for ${target.user}@${target.host} (IDENTITY_FILE, IDENTITY_ENV or an ssh-agent)`,
    );
  return undefined;
}
