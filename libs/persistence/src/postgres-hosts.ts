import { Client, ClientConfig } from 'pg';
import { postgresHosts, PostgresHosts } from '@runyard/config';

/** Which host is the primary now: found by asking each, kept until a connection to it fails. */
class PrimaryFinder {
  private known: { host: string; port: number } | null = null;
  private finding: Promise<{ host: string; port: number }> | null = null;

  constructor(
    private readonly hosts: PostgresHosts,
    private readonly config: ClientConfig,
  ) {}

  primary(): Promise<{ host: string; port: number }> {
    if (this.known) return Promise.resolve(this.known);
    this.finding ??= this.find().finally(() => (this.finding = null));
    return this.finding;
  }

  forget(host: string, port: number): void {
    if (this.known?.host === host && this.known.port === port) this.known = null;
  }

  private async find(): Promise<{ host: string; port: number }> {
    const seen: string[] = [];
    for (const h of this.hosts.hosts) {
      const probe = new Client({ ...this.config, connectionString: this.hosts.urlOf(h), connectionTimeoutMillis: 2000 });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        const { rows } = await probe.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
        if (!rows[0].standby) return (this.known = h);
        seen.push(`${h.host}:${h.port} is a standby`);
      } catch (e) {
        seen.push(`${h.host}:${h.port}: ${(e as Error).message}`);
      } finally {
        await probe.end().catch(() => undefined);
      }
    }
    throw Object.assign(new Error(`no PostgreSQL primary among DATABASE_URL's hosts (${seen.join('; ')})`), { code: 'ECONNREFUSED' });
  }
}

const finders = new Map<string, PrimaryFinder>();

/**
 * node-postgres' Client, connecting to the primary among several hosts; node-postgres' pools take it
 * as their `Client` (TypeORM passes its `extra` on to the pool).
 */
export function failoverClient(hosts: PostgresHosts, config: ClientConfig = {}): typeof Client {
  const key = JSON.stringify(hosts.hosts);
  const finder = finders.get(key) ?? new PrimaryFinder(hosts, config);
  finders.set(key, finder);
  return class FailoverClient extends Client {
    constructor(c?: ClientConfig | string) {
      super(c);
      // A connection that breaks may be the primary going away: the next one asks again.
      this.on('error', () => finder.forget(this.host, this.port));
    }

    override connect(): Promise<Client>;
    override connect(callback: (err: Error | null, client?: Client) => void): void;
    override connect(callback?: (err: Error | null, client?: Client) => void): Promise<Client> | void {
      const connecting = finder.primary().then(async ({ host, port }) => {
        this.host = host;
        this.port = port;
        try {
          await super.connect();
          return this as Client;
        } catch (e) {
          finder.forget(host, port);
          throw e;
        }
      });
      if (!callback) return connecting;
      connecting.then(
        (c) => callback(null, c),
        (e: Error) => callback(e),
      );
    }
  } as unknown as typeof Client;
}

/** The node-postgres Client and the one-host URL for a DATABASE_URL: the failover client when it names several hosts. */
export function postgresClientFor(url: string): { Client: typeof Client; url: string } {
  const many = postgresHosts(url);
  return many ? { Client: failoverClient(many), url: many.url } : { Client, url };
}
