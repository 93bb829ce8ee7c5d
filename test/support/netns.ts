import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });

/** Why hosts cannot be made here (not root, no iproute2), or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  try {
    ip('netns', 'list');
    return null;
  } catch (e) {
    return `ip netns does not work here: ${(e as Error).message}`;
  }
}

export interface Host {
  name: string;
  address: string;
  ns: string;
  /** The host side of its link: down = the host is cut off the network. */
  link: string;
}

/**
 * Hosts on one machine: a network namespace each (its own address, loopback and link) with a host
 * name of its own (a UTS namespace per process started in it), all on one bridge. The test's own
 * process reaches them through the bridge's address. Everything it made goes in close().
 */
export class Topology {
  private readonly tag = `ry${process.pid % 100000}`;
  private readonly bridge = `${this.tag}br`;
  readonly hosts = new Map<string, Host>();
  private readonly processes: ChildProcess[] = [];
  private next = 10;

  constructor(private readonly subnet = `10.${200 + (process.pid % 50)}.${process.pid % 250}`) {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.subnet}.1/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
  }

  add(name: string): Host {
    const i = this.next++;
    const ns = `${this.tag}-${name}`;
    const link = `${this.tag}v${i}`;
    const address = `${this.subnet}.${i}`;
    ip('netns', 'add', ns);
    ip('link', 'add', link, 'type', 'veth', 'peer', 'name', `${link}p`);
    ip('link', 'set', `${link}p`, 'netns', ns);
    ip('link', 'set', link, 'master', this.bridge);
    ip('link', 'set', link, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', `${link}p`, 'name', 'eth0');
    ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'route', 'add', 'default', 'via', `${this.subnet}.1`);
    const host = { name, address, ns, link };
    this.hosts.set(name, host);
    return host;
  }

  /** argv as a process of `host`: in its network namespace, with its host name. */
  argvOn(host: Host, argv: string[]): string[] {
    return ['ip', 'netns', 'exec', host.ns, 'unshare', '--uts', 'sh', '-c', `hostname ${host.name} && exec "$@"`, 'sh', ...argv];
  }

  start(host: Host, argv: string[], env: Record<string, string>, logFile: string): ChildProcess {
    const [cmd, ...args] = this.argvOn(host, argv);
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(logFile, { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.processes.push(child);
    return child;
  }

  run(host: Host, argv: string[], timeout = 60_000): string {
    const [cmd, ...args] = this.argvOn(host, argv);
    return execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Link down: the host is cut off (its processes run on, unreachable and reaching nothing). */
  cut(host: Host): void {
    ip('link', 'set', host.link, 'down');
  }

  restore(host: Host): void {
    ip('link', 'set', host.link, 'up');
  }

  /** The host dies: every process in its namespace (its Runyard processes and their runs) is killed. */
  kill(host: Host): void {
    for (const pid of execFileSync('ip', ['netns', 'pids', host.ns], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
  }

  close(): void {
    for (const p of this.processes) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const h of this.hosts.values()) {
      try {
        // Whatever is left in the namespace (a daemonised server) ends with it.
        this.kill(h);
      } catch {
        /* gone */
      }
      try {
        ip('netns', 'del', h.ns);
      } catch {
        /* gone */
      }
      try {
        ip('link', 'del', h.link);
      } catch {
        /* went with its namespace */
      }
    }
    try {
      ip('link', 'del', this.bridge);
    } catch {
      /* gone */
    }
  }
}
