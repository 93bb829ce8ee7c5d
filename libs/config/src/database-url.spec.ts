import { postgresHosts } from './database-url';
import { validateEnvironment } from './environment';

describe('DATABASE_URL with several hosts', () => {
  it('leaves a one-host URL to node-postgres', () => {
    expect(postgresHosts('postgres://u:p@db:5432/runyard?sslmode=require')).toBeNull();
  });

  it('reads the hosts (5432 by default), and makes one-host URLs node-postgres can parse, without target_session_attrs', () => {
    const many = postgresHosts(
      'postgresql://u:p%40ss@db-a:5433,db-b,[fd00::2]:5434/runyard?target_session_attrs=read-write&sslmode=require',
    )!;
    expect(many.hosts).toEqual([
      { host: 'db-a', port: 5433 },
      { host: 'db-b', port: 5432 },
      { host: 'fd00::2', port: 5434 },
    ]);
    expect(many.url).toBe('postgresql://u:p%40ss@db-a:5433/runyard?sslmode=require');
    expect(many.urlOf(many.hosts[2])).toBe('postgresql://u:p%40ss@[fd00::2]:5434/runyard?sslmode=require');
  });

  it('refuses target_session_attrs that would let Runyard write to a standby, and hosts that are not host[:port]', () => {
    expect(() => postgresHosts('postgres://a,b/db?target_session_attrs=any')).toThrow('only read-write (or primary) will do');
    expect(() => postgresHosts('postgres://a:x,b/db')).toThrow('"a:x" is not host[:port]');
  });

  it("needs REDIS_URL with it: BullMQ's PostgreSQL backend connects to one host", () => {
    expect(() => validateEnvironment({ DATABASE_URL: 'postgres://a,b/db' })).toThrow('DATABASE_URL names several hosts: set REDIS_URL too');
    expect(validateEnvironment({ DATABASE_URL: 'postgres://a,b/db', REDIS_URL: 'redis://c:6379' }).DATABASE_URL).toBe('postgres://a,b/db');
  });

  it('takes a password with an unencoded @, / or comma whole, and never prints a piece of it in an error', () => {
    for (const password of ['p@ss', 'pa/ss', 'se,cret']) {
      expect(postgresHosts(`postgres://u:${password}@h1,h2:5433/db`)!.hosts).toEqual([
        { host: 'h1', port: 5432 },
        { host: 'h2', port: 5433 },
      ]);
      expect(() => postgresHosts(`postgres://u:${password}@h1:x,h2/db`)).toThrow('"h1:x" is not host[:port]');
      expect(postgresHosts(`postgres://u:${password}@h1/db`)).toBeNull();
    }
  });
});
