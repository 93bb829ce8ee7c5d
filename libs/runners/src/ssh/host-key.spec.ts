import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf, HostKeyError, hostKeyVerifier, HostKeyPolicy, keyTypeOf, knownHostsName } from './host-key';

// Real keys from ssh-keygen, so fingerprints and hashed known_hosts are checked against OpenSSH's own output.
interface TestKey {
  /** 'ssh-ed25519 AAAA…' (type and base64, no comment). */
  line: string;
  blob: Buffer;
  /** As printed by `ssh-keygen -lf`. */
  fingerprint: string;
}

let dir: string;
let ed1: TestKey;
let ed2: TestKey;
let ecdsa: TestKey;
let khCount = 0;

function makeKey(name: string, type: string): TestKey {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', path]);
  const [keyType, b64] = readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/);
  const printed = execFileSync('ssh-keygen', ['-lf', `${path}.pub`], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)[1];
  return { line: `${keyType} ${b64}`, blob: Buffer.from(b64, 'base64'), fingerprint: printed };
}

function knownHosts(lines: string[]): string {
  const path = join(dir, `known_hosts.${++khCount}`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** Runs the verifier; returns the refusal (or null when accepted). */
function check(policy: HostKeyPolicy, host: string, port: number, key: TestKey): HostKeyError | null {
  const v = hostKeyVerifier(policy, host, port);
  const ok = v.verify(key.blob);
  const refusal = v.refusal();
  expect(ok).toBe(refusal === null);
  return refusal;
}

/** Whether OpenSSH (`ssh-keygen -F`) finds a known_hosts entry for this name. */
function opensshFinds(file: string, name: string): boolean {
  return spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' }).status === 0;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runyard-hostkey-'));
  ed1 = makeKey('ed1', 'ed25519');
  ed2 = makeKey('ed2', 'ed25519');
  ecdsa = makeKey('ec', 'ecdsa');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fingerprintOf', () => {
  it('prints the fingerprint ssh-keygen -lf prints', () => {
    for (const k of [ed1, ed2, ecdsa]) {
      expect(k.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(fingerprintOf(k.blob)).toBe(k.fingerprint);
    }
  });

  it('reads the key type from the blob', () => {
    expect(keyTypeOf(ed1.blob)).toBe('ssh-ed25519');
    expect(keyTypeOf(ecdsa.blob)).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOf(Buffer.alloc(2))).toBe('unknown');
  });

  it('names the host as OpenSSH looks it up', () => {
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('h', 2222)).toBe('[h]:2222');
  });
});

describe('hostKeyVerifier', () => {
  it('accepts anything when not strict', () => {
    expect(check({ strict: false }, 'h', 22, ed1)).toBeNull();
    expect(check({ strict: false, fingerprint: ed2.fingerprint }, 'h', 22, ed1)).toBeNull();
  });

  it('refuses every key when strict with neither a known_hosts file nor a fingerprint', () => {
    const r = check({ strict: true }, 'hpc.example.org', 2222, ed1)!;
    expect(r).toBeInstanceOf(HostKeyError);
    expect(r).toBeInstanceOf(Error);
    expect(r.reason).toBe('unconfigured');
    expect(r.message).toContain('no known_hosts or fingerprint configured for hpc.example.org:2222');
    expect(r.message).toContain(ed1.fingerprint);
    expect(r.presentedFingerprint).toBe(ed1.fingerprint);
    expect([r.host, r.port]).toEqual(['hpc.example.org', 2222]);
  });

  describe('fingerprint', () => {
    it('accepts the key with the configured fingerprint (with or without base64 padding)', () => {
      expect(check({ strict: true, fingerprint: ed1.fingerprint }, 'h', 22, ed1)).toBeNull();
      expect(check({ strict: true, fingerprint: ` ${ed1.fingerprint}= ` }, 'h', 22, ed1)).toBeNull();
    });

    it('refuses another key, naming both fingerprints', () => {
      const r = check({ strict: true, fingerprint: ed1.fingerprint }, 'h', 2200, ed2)!;
      expect(r.reason).toBe('fingerprint-mismatch');
      expect(r.message).toContain('h:2200');
      expect(r.message).toContain(ed2.fingerprint);
      expect(r.message).toContain(ed1.fingerprint);
      expect(r.message).toMatch(/man-in-the-middle/);
      expect(r.expected).toBe(ed1.fingerprint);
    });

    it('refuses when the configured fingerprint is not SHA256', () => {
      const md5 = execFileSync('ssh-keygen', ['-E', 'md5', '-lf', join(dir, 'ed1.pub')], { encoding: 'utf8' }).split(/\s+/)[1];
      expect(md5).toMatch(/^MD5:/);
      expect(check({ strict: true, fingerprint: md5 }, 'h', 22, ed1)!.reason).toBe('bad-fingerprint');
    });

    it('requires both when a fingerprint and a known_hosts file are configured', () => {
      const kh = knownHosts([`h ${ed1.line}`]);
      expect(check({ strict: true, fingerprint: ed1.fingerprint, knownHostsFile: kh }, 'h', 22, ed1)).toBeNull();
      expect(check({ strict: true, fingerprint: ed2.fingerprint, knownHostsFile: kh }, 'h', 22, ed1)!.reason).toBe('fingerprint-mismatch');
      const kh2 = knownHosts([`h ${ed2.line}`]);
      expect(check({ strict: true, fingerprint: ed1.fingerprint, knownHostsFile: kh2 }, 'h', 22, ed1)!.reason).toBe('changed');
    });
  });

  describe('known_hosts', () => {
    it('accepts a plain host entry on port 22, ignoring comments and blank lines', () => {
      const kh = knownHosts(['# a comment', '', `   `, `hpc.example.org ${ed1.line} root@hpc`]);
      expect(check({ strict: true, knownHostsFile: kh }, 'hpc.example.org', 22, ed1)).toBeNull();
      expect(check({ strict: true, knownHostsFile: kh }, 'HPC.Example.ORG', 22, ed1)).toBeNull();
    });

    it('looks a non-22 port up as [host]:port', () => {
      const kh = knownHosts([`hpc ${ed1.line}`, `[hpc]:2222 ${ed2.line}`]);
      expect(check({ strict: true, knownHostsFile: kh }, 'hpc', 2222, ed2)).toBeNull();
      expect(check({ strict: true, knownHostsFile: kh }, 'hpc', 22, ed1)).toBeNull();
      expect(check({ strict: true, knownHostsFile: kh }, 'hpc', 2222, ed1)!.reason).toBe('changed');
      const onlyPlain = knownHosts([`hpc ${ed1.line}`]);
      expect(check({ strict: true, knownHostsFile: onlyPlain }, 'hpc', 2222, ed1)!.reason).toBe('unknown-host');
    });

    it('matches within comma-separated host lists', () => {
      const kh = knownHosts([`alpha,[beta]:2022,10.0.0.5 ${ed1.line}`]);
      expect(check({ strict: true, knownHostsFile: kh }, 'alpha', 22, ed1)).toBeNull();
      expect(check({ strict: true, knownHostsFile: kh }, 'beta', 2022, ed1)).toBeNull();
      expect(check({ strict: true, knownHostsFile: kh }, '10.0.0.5', 22, ed1)).toBeNull();
      expect(check({ strict: true, knownHostsFile: kh }, 'beta', 22, ed1)!.reason).toBe('unknown-host');
    });

    it('matches hashed entries written by ssh-keygen -H', () => {
      const kh = knownHosts([`hpc.example.org ${ed1.line}`, `[127.0.0.1]:2222 ${ed2.line}`, `other ${ecdsa.line}`]);
      execFileSync('ssh-keygen', ['-q', '-H', '-f', kh], { stdio: 'pipe' }); // it warns on stderr that the .old copy is unhashed
      const hashed = readFileSync(kh, 'utf8');
      expect(hashed).not.toContain('hpc.example.org');
      expect(hashed).toMatch(/^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /m);
      expect(check({ strict: true, knownHostsFile: kh }, 'hpc.example.org', 22, ed1)).toBeNull();
      expect(check({ strict: true, knownHostsFile: kh }, '127.0.0.1', 2222, ed2)).toBeNull();
      expect(check({ strict: true, knownHostsFile: kh }, 'other', 22, ecdsa)).toBeNull();
      expect(check({ strict: true, knownHostsFile: kh }, '127.0.0.1', 2222, ed1)!.reason).toBe('changed');
      expect(check({ strict: true, knownHostsFile: kh }, '127.0.0.1', 22, ed2)!.reason).toBe('unknown-host');
      expect(check({ strict: true, knownHostsFile: kh }, 'hpc.example.org', 2222, ed1)!.reason).toBe('unknown-host');
    });

    it('matches wildcard and negated patterns as OpenSSH does', () => {
      const kh = knownHosts([`*.example.org,!bad.example.org,node?.cluster,[10.1.*]:2222 ${ed1.line}`]);
      const cases: [string, number, boolean][] = [
        ['a.example.org', 22, true],
        ['x.y.example.org', 22, true],
        ['bad.example.org', 22, false],
        ['example.org', 22, false],
        ['node1.cluster', 22, true],
        ['node12.cluster', 22, false],
        ['10.1.2.3', 2222, true],
        ['10.1.2.3', 22, false],
        ['10.2.0.1', 2222, false],
      ];
      for (const [host, port, accepted] of cases) {
        expect([host, port, opensshFinds(kh, knownHostsName(host, port))]).toEqual([host, port, accepted]);
        const r = check({ strict: true, knownHostsFile: kh }, host, port, ed1);
        expect([host, port, r === null]).toEqual([host, port, accepted]);
        if (!accepted) expect(r!.reason).toBe('unknown-host');
      }
    });

    it('refuses an unknown host, saying it is unknown', () => {
      const kh = knownHosts([`other ${ed1.line}`]);
      const r = check({ strict: true, knownHostsFile: kh }, 'hpc', 2222, ed1)!;
      expect(r.reason).toBe('unknown-host');
      expect(r.message).toContain('unknown host');
      expect(r.message).toContain('[hpc]:2222');
      expect(r.message).toContain(ed1.fingerprint);
      expect(r.message).not.toMatch(/CHANGED/);
    });

    it('refuses a host known with a different key, saying the key CHANGED', () => {
      const kh = knownHosts([`hpc ${ed1.line}`]);
      const r = check({ strict: true, knownHostsFile: kh }, 'hpc', 22, ed2)!;
      expect(r.reason).toBe('changed');
      expect(r.message).toContain('CHANGED');
      expect(r.message).toContain('man-in-the-middle');
      expect(r.message).toContain(ed2.fingerprint); // presented
      expect(r.message).toContain(ed1.fingerprint); // expected
      expect(r.message).toContain('hpc:22');
      expect(r.expected).toContain(ed1.fingerprint);
    });

    it('treats a host known only with a key of another type as changed, and says so', () => {
      const kh = knownHosts([`hpc ${ecdsa.line}`]);
      const r = check({ strict: true, knownHostsFile: kh }, 'hpc', 22, ed1)!;
      expect(r.reason).toBe('changed');
      expect(r.message).toContain('no ssh-ed25519 key');
    });

    it('accepts any of several keys listed for the host', () => {
      const kh = knownHosts([`hpc ${ecdsa.line}`, `hpc ${ed1.line}`]);
      expect(check({ strict: true, knownHostsFile: kh }, 'hpc', 22, ed1)).toBeNull();
      expect(check({ strict: true, knownHostsFile: kh }, 'hpc', 22, ecdsa)).toBeNull();
    });

    it('refuses a key marked @revoked for the host, even when another line accepts it', () => {
      const kh = knownHosts([`hpc ${ed1.line}`, `@revoked hpc ${ed1.line}`, `hpc ${ed2.line}`]);
      const r = check({ strict: true, knownHostsFile: kh }, 'hpc', 22, ed1)!;
      expect(r.reason).toBe('revoked');
      expect(r.message).toContain('@revoked');
      expect(check({ strict: true, knownHostsFile: kh }, 'hpc', 22, ed2)).toBeNull();
    });

    it('ignores @cert-authority lines', () => {
      const kh = knownHosts([`@cert-authority hpc ${ed1.line}`]);
      expect(check({ strict: true, knownHostsFile: kh }, 'hpc', 22, ed1)!.reason).toBe('unknown-host');
    });

    it('refuses when the known_hosts file cannot be read', () => {
      const r = check({ strict: true, knownHostsFile: join(dir, 'missing') }, 'hpc', 22, ed1)!;
      expect(r.reason).toBe('unreadable');
      expect(r.message).toContain(join(dir, 'missing'));
    });

    it('ignores malformed lines', () => {
      const kh = knownHosts(['hpc', `hpc ssh-ed25519 !!!notbase64`, `hpc ssh-rsa ${ed1.line.split(' ')[1]}`, `hpc ${ed1.line}`]);
      expect(check({ strict: true, knownHostsFile: kh }, 'hpc', 22, ed1)).toBeNull();
    });
  });

  it('clears the refusal after a later accepted key', () => {
    const v = hostKeyVerifier({ strict: true, fingerprint: ed1.fingerprint }, 'h', 22);
    expect(v.refusal()).toBeNull();
    expect(v.verify(ed2.blob)).toBe(false);
    expect(v.refusal()).toBeInstanceOf(HostKeyError);
    expect(v.verify(ed1.blob)).toBe(true);
    expect(v.refusal()).toBeNull();
  });
});
