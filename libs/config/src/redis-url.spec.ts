import { parseRedisUrl, queuePrefix } from './redis-url';

describe('REDIS_URL', () => {
  it('passes one server on as it is', () => {
    expect(parseRedisUrl('rediss://:pw@cache:6380/1')).toEqual({ kind: 'server', url: 'rediss://:pw@cache:6380/1' });
  });

  it('reads Sentinels, the primary, the database and credentials (used for the Sentinels too)', () => {
    const t = parseRedisUrl('redis+sentinel://app:p%40ss@10.0.0.1:26379,sentinel-b:26380,[::1]:26381/runyard-primary/2');
    expect(t).toMatchObject({
      kind: 'sentinel',
      options: {
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: 'sentinel-b', port: 26380 },
          { host: '::1', port: 26381 },
        ],
        name: 'runyard-primary',
        db: 2,
        username: 'app',
        password: 'p@ss',
        sentinelUsername: 'app',
        sentinelPassword: 'p@ss',
        enableTLSForSentinelMode: false,
        failoverDetector: true,
      },
    });
    expect(parseRedisUrl('rediss+sentinel://s1:26379/m')).toMatchObject({ options: { tls: {}, enableTLSForSentinelMode: true } });
  });

  it('reconnects when a demoted primary refuses writes, and only then', () => {
    const t = parseRedisUrl('redis+sentinel://s1:26379/m');
    const again = t.kind === 'sentinel' ? t.options.reconnectOnError! : () => false;
    expect(again(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(again(new Error('ERR unknown command'))).toBe(false);
  });

  it('reads a Cluster, and puts the queues under one hash tag there', () => {
    const t = parseRedisUrl('redis+cluster://:pw@n1:7000,n2:7001');
    expect(t).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
      options: { password: 'pw' },
    });
    expect(queuePrefix(t, 'bull')).toBe('{bull}');
    expect(queuePrefix(parseRedisUrl('redis://c:6379'), 'bull')).toBe('bull');
  });

  it.each([
    ['redis+sentinel://s1:99999/m', '"s1:99999" is not host:port'],
    ['redis+sentinel://s1:1/m/x', '"x" is not a database number'],
    ['redis+sentinel://s1:1/m/0/extra', "needs the primary's name"],
    ['redis+cluster://n1', '"n1" is not host:port'],
    ['redis+nothing://n1:1', 'REDIS_URL must be'],
  ])('refuses %s', (url, said) => {
    expect(() => parseRedisUrl(url)).toThrow(said);
  });

  it('takes a password with an unencoded @ or / whole, and never prints a piece of it in an error', () => {
    for (const password of ['pwa@ssb', 'pwc/ssd', 'pwe@/:ssf']) {
      const target = parseRedisUrl(`redis+sentinel://u:${password}@127.0.0.1:26379/mymaster`);
      expect(target).toMatchObject({ kind: 'sentinel', options: { password, sentinels: [{ host: '127.0.0.1', port: 26379 }] } });
      for (const bad of [`redis+sentinel://u:${password}@127.0.0.1:x/mymaster`, `redis+cluster://u:${password}@h:1/0`]) {
        let message = '';
        try {
          parseRedisUrl(bad);
        } catch (e) {
          message = (e as Error).message;
        }
        expect(message).toMatch(/^REDIS_URL/);
        for (const piece of password.split(/[@/:]/).filter(Boolean)) expect(message).not.toContain(piece);
      }
    }
  });
});
