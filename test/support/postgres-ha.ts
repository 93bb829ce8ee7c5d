import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './runyard';

const BIN = join('/usr/lib/postgresql', readdirSync('/usr/lib/postgresql').sort().at(-1)!, 'bin');
const POSTGRES_USER = 'postgres';

/** A PostgreSQL program as the postgres account (the server refuses root), quietly; `on` puts it on another host. */
export function pg(program: string, args: string[], timeout = 60_000, on: (argv: string[]) => string[] = (a) => a): string {
  const argv = on(
    process.getuid?.() === 0 ? ['runuser', '-u', POSTGRES_USER, '--', join(BIN, program), ...args] : [join(BIN, program), ...args],
  );
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A directory of the test's own the postgres account may use. */
export function postgresDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', POSTGRES_USER], { encoding: 'utf8' })), 0);
  return dir;
}

/**
 * A primary and a streaming standby of the test's own on loopback, as PostgreSQL with a standby is
 * deployed: synchronous replication (a commit is acknowledged once the standby has it), so a failover
 * loses nothing acknowledged. `url` names both hosts, libpq's way.
 */
export class PostgresPair {
  readonly dir = postgresDir('runyard-pg-pair-');
  ports: [number, number] = [0, 0];

  async start(): Promise<this> {
    this.ports = [await freePort(), await freePort()];
    const [primary, standby] = [join(this.dir, 'primary'), join(this.dir, 'standby')];
    pg('initdb', ['-D', primary, '-A', 'trust', '-U', 'runyard', '--no-sync']);
    appendFileSync(
      join(primary, 'postgresql.conf'),
      ["listen_addresses = '127.0.0.1'", `port = ${this.ports[0]}`, `unix_socket_directories = '${this.dir}'`, 'fsync = off', ''].join(
        '\n',
      ),
    );
    pg('pg_ctl', ['-D', primary, '-l', join(this.dir, 'primary.log'), '-w', 'start']);
    pg('psql', ['-h', '127.0.0.1', '-p', String(this.ports[0]), '-U', 'runyard', '-d', 'postgres', '-qc', 'CREATE DATABASE runyard']);
    pg('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.ports[0]),
      '-U',
      'runyard',
      '-D',
      standby,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
    ]);
    appendFileSync(join(standby, 'postgresql.auto.conf'), `port = ${this.ports[1]}\n`);
    pg('pg_ctl', ['-D', standby, '-l', join(this.dir, 'standby.log'), '-w', 'start']);
    // Synchronous from now on (before, the commits above would wait for a standby that is not there yet).
    this.sql(0, "ALTER SYSTEM SET synchronous_standby_names = '*'");
    this.sql(0, 'SELECT pg_reload_conf()');
    for (let i = 0; i < 100 && this.sql(0, 'SELECT sync_state FROM pg_stat_replication') !== 'sync'; i++)
      await new Promise((r) => setTimeout(r, 100));
    return this;
  }

  get url(): string {
    return `postgres://runyard@127.0.0.1:${this.ports[0]},127.0.0.1:${this.ports[1]}/runyard?target_session_attrs=read-write`;
  }

  sql(which: 0 | 1, query: string): string {
    return pg('psql', ['-h', '127.0.0.1', '-p', String(this.ports[which]), '-U', 'runyard', '-d', 'runyard', '-Atqc', query]).trim();
  }

  /** The primary stops at once, as in a crash (no checkpoint, clients cut). */
  stopPrimary(): void {
    pg('pg_ctl', ['-D', join(this.dir, 'primary'), '-m', 'immediate', 'stop']);
  }

  /** The standby becomes the primary (what an operator or a failover manager such as Patroni does). */
  promoteStandby(): void {
    pg('pg_ctl', ['-D', join(this.dir, 'standby'), '-w', 'promote']);
  }

  close(): void {
    for (const d of ['primary', 'standby']) {
      try {
        pg('pg_ctl', ['-D', join(this.dir, d), '-m', 'immediate', 'stop'], 20_000);
      } catch {
        /* not running */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
