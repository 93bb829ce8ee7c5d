import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Host key verification for ssh2's `hostVerifier` option (used without `hostHash`, so ssh2 passes the
 * server's raw SSH public key blob). It follows OpenSSH's known_hosts rules; see sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT".
 */
export interface HostKeyPolicy {
  /** Path of an OpenSSH known_hosts file. */
  knownHostsFile?: string;
  /** 'SHA256:<base64 without padding>' as printed by `ssh-keygen -lf`. */
  fingerprint?: string;
  /** false only when the admin explicitly wrote STRICT_HOST_KEY_CHECKING: False. */
  strict: boolean;
}

export type HostKeyRefusalReason =
  /** strict, but neither a known_hosts file nor a fingerprint is configured. */
  | 'unconfigured'
  /** The configured fingerprint is not a 'SHA256:…' fingerprint. */
  | 'bad-fingerprint'
  /** The presented key does not have the configured fingerprint. */
  | 'fingerprint-mismatch'
  /** The known_hosts file could not be read. */
  | 'unreadable'
  /** No known_hosts line names this host. */
  | 'unknown-host'
  /** known_hosts names this host, but with other keys: the host key CHANGED. */
  | 'changed'
  /** known_hosts marks the presented key @revoked for this host. */
  | 'revoked';

export interface HostKeyErrorDetails {
  host: string;
  port: number;
  reason: HostKeyRefusalReason;
  /** SHA256 fingerprint of the key the server presented. */
  presentedFingerprint: string;
  /** What was expected, in words (a fingerprint, known_hosts entries, …). */
  expected: string;
}

export class HostKeyError extends Error {
  override readonly name = 'HostKeyError';
  readonly host: string;
  readonly port: number;
  readonly reason: HostKeyRefusalReason;
  readonly presentedFingerprint: string;
  readonly expected: string;

  constructor(message: string, details: HostKeyErrorDetails) {
    super(message);
    this.host = details.host;
    this.port = details.port;
    this.reason = details.reason;
    this.presentedFingerprint = details.presentedFingerprint;
    this.expected = details.expected;
  }
}

/** 'SHA256:<base64 without padding>' of a raw SSH public key blob, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type named inside an SSH public key blob (its first string), e.g. 'ssh-ed25519'. */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > keyBlob.length) return 'unknown';
  return keyBlob.toString('latin1', 4, 4 + len);
}

/** The name OpenSSH looks up in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * Returns the verifier to pass (as `verify`) to ssh2's `hostVerifier`; ssh2 1.17 accepts the synchronous
 * `(key: Buffer) => boolean` form. When it refuses a key, `refusal()` returns the reason as a HostKeyError so
 * the caller can throw it instead of ssh2's generic "Host denied (verification failed)".
 *
 * When both a fingerprint and a known_hosts file are configured, the key must satisfy both.
 */
export function hostKeyVerifier(
  policy: HostKeyPolicy,
  host: string,
  port: number,
): { verify(key: Buffer): boolean; refusal(): HostKeyError | null } {
  let refused: HostKeyError | null = null;
  const where = `${host}:${port}`;

  const verify = (key: Buffer): boolean => {
    refused = null;
    if (!policy.strict) return true;
    const presented = fingerprintOf(key);
    const type = keyTypeOf(key);
    const refuse = (reason: HostKeyRefusalReason, expected: string, message: string): false => {
      refused = new HostKeyError(message, { host, port, reason, presentedFingerprint: presented, expected });
      return false;
    };
    const fingerprint = policy.fingerprint?.trim();
    const knownHostsFile = policy.knownHostsFile;

    if (!fingerprint && !knownHostsFile) {
      return refuse(
        'unconfigured',
        'a known_hosts file or a host key fingerprint',
        `Host key verification failed for ${where}: no known_hosts or fingerprint configured for ${where} ` +
          `(the server presented ${type} key ${presented}). Configure the host's known_hosts file or its fingerprint ` +
          `(ssh-keygen -lf on the server's host key), or explicitly disable STRICT_HOST_KEY_CHECKING.`,
      );
    }

    if (fingerprint) {
      const expected = normaliseFingerprint(fingerprint);
      if (expected === null) {
        return refuse(
          'bad-fingerprint',
          fingerprint,
          `Host key verification failed for ${where}: the configured fingerprint '${fingerprint}' is not a SHA256 fingerprint ` +
            `('SHA256:<base64>' as printed by ssh-keygen -lf); the server presented ${type} key ${presented}.`,
        );
      }
      if (expected !== presented) {
        return refuse(
          'fingerprint-mismatch',
          expected,
          `Host key verification failed for ${where}: the server presented ${type} key ${presented}, but the configured ` +
            `fingerprint is ${expected}. The host key may have CHANGED (possible man-in-the-middle attack), or the ` +
            `configured fingerprint is wrong.`,
        );
      }
    }

    if (knownHostsFile) {
      let text: string;
      try {
        text = readFileSync(knownHostsFile, 'utf8');
      } catch (err) {
        return refuse(
          'unreadable',
          `an entry in ${knownHostsFile}`,
          `Host key verification failed for ${where}: cannot read known_hosts file ${knownHostsFile} ` +
            `(${(err as Error).message}); the server presented ${type} key ${presented}.`,
        );
      }
      const name = knownHostsName(host.toLowerCase(), port); // ssh lowercases the host name before lookup and hashing
      const entries = parseKnownHosts(text).filter((e) => e.marker !== 'cert-authority' && hostMatches(e.hosts, name));
      const same = entries.filter((e) => e.key !== null && e.key.equals(key));
      const revoked = same.find((e) => e.marker === 'revoked');
      if (revoked) {
        return refuse(
          'revoked',
          `a key not marked @revoked in ${knownHostsFile}`,
          `Host key verification failed for ${where}: the server presented ${type} key ${presented}, which ` +
            `${knownHostsFile} line ${revoked.line} marks as @revoked for ${name}. Refusing it.`,
        );
      }
      if (!same.some((e) => e.marker === null)) {
        const known = entries.filter((e) => e.marker === null && e.key !== null);
        if (known.length === 0) {
          return refuse(
            'unknown-host',
            `an entry for ${name} in ${knownHostsFile}`,
            `Host key verification failed for ${where}: unknown host, no entry for ${name} in ${knownHostsFile} ` +
              `(the server presented ${type} key ${presented}). Check the fingerprint with the host's admin, then add ` +
              `the key to known_hosts (e.g. ssh-keyscan -p ${port} ${host}).`,
          );
        }
        const listed = known.map((e) => `${e.type} ${fingerprintOf(e.key!)} (line ${e.line})`).join(', ');
        const sameType = known.some((e) => e.type === type);
        return refuse(
          'changed',
          listed,
          `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for ${where}: the host key CHANGED. The server presented ` +
            `${type} key ${presented}, but ${knownHostsFile} lists for ${name}: ${listed}. Someone could be doing ` +
            `something nasty (possible man-in-the-middle attack), or the host key was replaced; if the new key is ` +
            `legitimate, update known_hosts.` +
            (sameType
              ? ''
              : ` (known_hosts has no ${type} key for this host: if the host still has the listed key, restrict the ` +
                `accepted host key algorithms to its type.)`),
        );
      }
    }
    return true;
  };

  return { verify, refusal: () => refused };
}

/** 'SHA256:abc…' (prefix case-insensitive, padding optional) → 'SHA256:abc…'; null when it is not a SHA256 fingerprint. */
function normaliseFingerprint(fp: string): string | null {
  const m = /^sha256:([A-Za-z0-9+/]{43})=?$/i.exec(fp);
  return m ? `SHA256:${m[1]}` : null;
}

interface KnownHostsEntry {
  line: number;
  marker: 'revoked' | 'cert-authority' | null;
  hosts: string;
  type: string;
  /** null when the base64 field is malformed. */
  key: Buffer | null;
}

function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostsEntry['marker'] = null;
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!.toLowerCase();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: OpenSSH skips the line
    }
    if (fields.length < 3) return;
    const [hosts, type, b64] = fields;
    let key: Buffer | null = null;
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
      const blob = Buffer.from(b64, 'base64');
      if (blob.length > 0 && keyTypeOf(blob) === type) key = blob;
    }
    entries.push({ line: i + 1, marker, hosts, type, key });
  });
  return entries;
}

/** OpenSSH's host matching for a known_hosts host field: a hashed `|1|salt|hash`, or a pattern list with `!` negation. */
function hostMatches(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedHostMatches(field, name);
  let positive = false;
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (pattern === '') continue;
    if (wildcardMatch(pattern, name)) {
      if (negated) return false; // a matching negation excludes the host from the whole line
      positive = true;
    }
  }
  return positive;
}

function hashedHostMatches(field: string, name: string): boolean {
  const parts = field.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const expected = Buffer.from(parts[3], 'base64');
  if (salt.length !== 20 || expected.length !== 20) return false;
  const actual = createHmac('sha1', salt).update(name).digest();
  return timingSafeEqual(actual, expected);
}

/** `*` matches any run of characters, `?` exactly one (OpenSSH's match_pattern). */
function wildcardMatch(pattern: string, s: string): boolean {
  let p = 0;
  let i = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === s[i])) {
      p++;
      i++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = i;
    } else if (star !== -1) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
