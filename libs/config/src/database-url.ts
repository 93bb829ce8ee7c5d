/**
 * DATABASE_URL with several hosts, as libpq takes it: `postgres://user:pw@h1:5432,h2:5432/db?target_session_attrs=read-write`.
 * node-postgres connects to one host only, so Runyard picks the one that takes writes itself: the
 * first host that answers and is not in recovery (a standby), asked again when a connection fails.
 */
export interface PostgresHosts {
  hosts: { host: string; port: number }[];
  /** The URL with the first host alone (what node-postgres and TypeORM can parse), and no target_session_attrs. */
  url: string;
  /** The same for another of the hosts. */
  urlOf(h: { host: string; port: number }): string;
}

// The credentials run to the last '@' before the hosts: a password with an unencoded '@', '/' or ',' is never taken for hosts.
const MULTI = /^(postgres(?:ql)?:\/\/(?:.*@)?)([^/?#@]*,[^/?#@]*)((?:[/?#].*)?)$/s;

/** The hosts of a DATABASE_URL that names several, else null (one host: node-postgres as it is). */
export function postgresHosts(url: string): PostgresHosts | null {
  const m = MULTI.exec(url);
  if (!m) return null;
  const [, head, list, tail] = m;
  const hosts = list.split(',').map((a) => {
    const hp = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(a);
    if (!hp) throw new Error(`DATABASE_URL: "${a}" is not host[:port]`);
    return { host: hp[1].replace(/^\[|\]$/g, ''), port: hp[2] ? Number(hp[2]) : 5432 };
  });
  const [path, query = ''] = tail.split('?');
  const params = new URLSearchParams(query);
  const attrs = params.get('target_session_attrs');
  // Runyard writes: only a primary will do, whatever the URL asks (libpq's read-write and primary mean that here).
  if (attrs !== null && !['read-write', 'primary'].includes(attrs)) {
    throw new Error(`DATABASE_URL: target_session_attrs=${attrs}: Runyard writes, so only read-write (or primary) will do`);
  }
  params.delete('target_session_attrs');
  const rest = params.toString();
  const urlOf = (h: { host: string; port: number }) =>
    `${head}${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}${path}${rest ? `?${rest}` : ''}`;
  return { hosts, url: urlOf(hosts[0]), urlOf };
}
