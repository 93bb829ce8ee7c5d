import type { RedisOptions } from 'ioredis';

/**
 * What REDIS_URL names: one server (`redis://`, `rediss://`), a primary found through Sentinel
 * (`redis+sentinel://[[user]:password@]host:port[,host:port…]/primary-name[/db]`), or a Cluster
 * (`redis+cluster://[[user]:password@]host:port[,host:port…]`); `rediss+…` for TLS.
 */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'sentinel'; options: RedisOptions }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; options: RedisOptions };

/** A REDIS_URL that cannot be used: the message says what is wrong with it. */
export class RedisUrlError extends Error {}

// The credentials run to the last '@': a password with an unencoded '@' or '/' stays whole (and out of the errors).
const HA = /^(rediss?)\+(sentinel|cluster):\/\/(?:(.*)@)?([^/?#@]+)(\/[^?#@]*)?$/s;
// A host name, an IPv4 address or a bracketed IPv6 one, then a port.
const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

export function parseRedisUrl(url: string): RedisTarget {
  if (/^rediss?:\/\//.test(url)) return { kind: 'server', url };
  const m = HA.exec(url);
  if (!m) {
    throw new RedisUrlError(
      'REDIS_URL must be redis:// or rediss:// (one server), redis+sentinel://host:port[,host:port…]/primary-name, or redis+cluster://host:port[,host:port…]',
    );
  }
  const [, scheme, kind, credentials, hostList, path] = m;
  const nodes = hostList.split(',').map((a) => {
    const hp = ADDRESS.exec(a);
    const port = hp ? Number(hp[2]) : 0;
    if (!hp || port < 1 || port > 65535) throw new RedisUrlError(`REDIS_URL: "${a}" is not host:port`);
    return { host: hp[1].replace(/^\[|\]$/g, ''), port };
  });
  const options: RedisOptions = {};
  if (credentials) {
    const [user, password] = credentials.includes(':') ? credentials.split(/:(.*)/s) : ['', credentials];
    if (user) options.username = decodeURIComponent(user);
    if (password) options.password = decodeURIComponent(password);
  }
  if (scheme === 'rediss') options.tls = {};
  const parts = (path ?? '').split('/').filter(Boolean);
  if (kind === 'cluster') {
    if (parts.length > 0) throw new RedisUrlError('REDIS_URL: a Redis Cluster has no database number or name after the addresses');
    return { kind: 'cluster', nodes, options };
  }
  const [name, db] = parts;
  if (!name || parts.length > 2)
    throw new RedisUrlError('REDIS_URL: redis+sentinel:// needs the primary\'s name after the addresses ("/mymaster")');
  if (db !== undefined) {
    if (!/^\d{1,2}$/.test(db)) throw new RedisUrlError(`REDIS_URL: "${db}" is not a database number`);
    options.db = Number(db);
  }
  return {
    kind: 'sentinel',
    options: {
      ...options,
      sentinels: nodes,
      name: decodeURIComponent(name),
      // The same credentials for the Sentinels (the usual deployment); TLS to them too with rediss+sentinel.
      sentinelUsername: options.username,
      sentinelPassword: options.password,
      enableTLSForSentinelMode: scheme === 'rediss',
      // Told of a failover by the Sentinels at once, instead of when the old primary's connection breaks.
      failoverDetector: true,
      // A primary demoted to replica answers writes READONLY: reconnect, the Sentinels name the new one.
      reconnectOnError: (e: Error) => (e.message.startsWith('READONLY') ? 2 : false),
    },
  };
}

/**
 * The queues' key prefix. On a Cluster every key of a queue must be in one hash slot, which a
 * `{…}` hash tag sees to (BullMQ's rule); elsewhere the prefix is used as it is.
 */
export const queuePrefix = (target: RedisTarget, prefix: string): string => (target.kind === 'cluster' ? `{${prefix}}` : prefix);
