import { ChildProcess, spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './runyard';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A redis-server of the test's own on a free loopback port (never the machine's shared one). */
class RedisProcess {
  private child: ChildProcess | null = null;
  constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  async start(): Promise<this> {
    this.child = spawn('redis-server', this.args, { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (this.ping()) return this;
      await sleep(50);
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
  }

  cli(...args: string[]): string {
    return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  }

  ping(): boolean {
    try {
      return this.cli('ping') === 'PONG';
    } catch {
      return false;
    }
  }

  /** A crash: no goodbye to replicas or clients. */
  kill(): void {
    this.child?.kill('SIGKILL');
  }
}

const serverArgs = (port: number, dir: string, more: string[] = []) => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--dir',
  dir,
  ...more,
];

/**
 * A primary, its replica and three Sentinels (quorum 2) on loopback, as a production Redis with
 * high availability is deployed; `url` is the REDIS_URL that names them.
 */
export class RedisSentinelSet {
  readonly dir = mkdtempSync(join(tmpdir(), 'runyard-sentinel-'));
  readonly name = 'runyard-primary';
  servers: RedisProcess[] = [];
  sentinels: RedisProcess[] = [];

  async start(): Promise<this> {
    const [p, r] = [await freePort(), await freePort()];
    const primary = await new RedisProcess(p, serverArgs(p, this.dir, ['--dbfilename', 'p.rdb'])).start();
    const replica = await new RedisProcess(
      r,
      serverArgs(r, this.dir, ['--dbfilename', 'r.rdb', '--replicaof', '127.0.0.1', String(p)]),
    ).start();
    this.servers = [primary, replica];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(this.dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${this.dir}`,
          `sentinel monitor ${this.name} 127.0.0.1 ${p} 2`,
          `sentinel down-after-milliseconds ${this.name} 1000`,
          `sentinel failover-timeout ${this.name} 4000`,
          `sentinel parallel-syncs ${this.name} 1`,
          '',
        ].join('\n'),
      );
      this.sentinels.push(await new RedisProcess(port, [conf, '--sentinel']).start());
    }
    // The Sentinels know the replica before a failover can promote it.
    for (let i = 0; i < 100 && !this.sentinels.every((s) => /slave|replica/.test(s.cli('sentinel', 'replicas', this.name))); i++)
      await sleep(100);
    return this;
  }

  get url(): string {
    return `redis+sentinel://${this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${this.name}`;
  }

  /** The port the Sentinels name as primary now. */
  primaryPort(): number {
    return Number(this.sentinels[0].cli('sentinel', 'get-master-addr-by-name', this.name).split('\n')[1]);
  }

  primary(): RedisProcess {
    const port = this.primaryPort();
    return this.servers.find((s) => s.port === port)!;
  }

  close(): void {
    for (const s of [...this.sentinels, ...this.servers]) s.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Three primaries in a Redis Cluster (the smallest one redis-cli creates) on loopback. */
export class RedisClusterSet {
  readonly dir = mkdtempSync(join(tmpdir(), 'runyard-cluster-'));
  nodes: RedisProcess[] = [];

  async start(): Promise<this> {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      this.nodes.push(
        await new RedisProcess(
          port,
          serverArgs(port, this.dir, [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--dbfilename',
            `${port}.rdb`,
          ]),
        ).start(),
      );
    }
    execFileSync(
      'redis-cli',
      ['--cluster', 'create', ...this.nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      {
        stdio: 'ignore',
        timeout: 30_000,
      },
    );
    for (let i = 0; i < 100 && !this.nodes.every((n) => n.cli('cluster', 'info').includes('cluster_state:ok')); i++) await sleep(100);
    return this;
  }

  get url(): string {
    return `redis+cluster://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  /** Which node holds a key (by its hash slot). */
  keysPerNode(pattern: string): number[] {
    return this.nodes.map((n) => Number(n.cli('eval', `return #redis.call('keys', ARGV[1])`, '0', pattern)));
  }

  close(): void {
    for (const n of this.nodes) n.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
