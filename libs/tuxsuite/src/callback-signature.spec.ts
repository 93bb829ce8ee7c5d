import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyCallback } from './callback-signature';
import { OpenSshKeyError, parseOpenSshEcdsaKey, toOpenSshEcdsaLine } from './openssh-key';

const BODY = '{"kind":"build","status":{"uid":"2ZITcwA6wxeKxh9cZA5HBJ6FkSj","state":"finished","result":"pass"}}';

function newKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

function signDer(data: string | Buffer, key: KeyObject): Buffer {
  return sign('sha256', Buffer.from(data), { key, dsaEncoding: 'der' });
}

describe('signature vector made outside Runyard (OpenSSL CLI + ssh-keygen)', () => {
  let dir: string;
  let body: Buffer;
  let sig: Buffer;
  let line: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tux-openssl-'));
    const run = (cmd: string, args: string[]): string =>
      execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    writeFileSync(join(dir, 'body.json'), BODY);
    run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'k.pem']);
    run('openssl', ['ec', '-in', 'k.pem', '-pubout', '-out', 'pub.pem']);
    run('openssl', ['dgst', '-sha256', '-sign', 'k.pem', '-out', 'sig.der', 'body.json']);
    line = run('ssh-keygen', ['-i', '-m', 'PKCS8', '-f', 'pub.pem']).trim();
    body = readFileSync(join(dir, 'body.json'));
    sig = readFileSync(join(dir, 'sig.der'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies the OpenSSL signature with the key ssh-keygen converted', () => {
    expect(line).toMatch(/^ecdsa-sha2-nistp256 AAAA/);
    const result = verifyCallback(body, sig.toString('base64url'), [parseOpenSshEcdsaKey(line)]);
    expect(result).toEqual({ ok: true, payloadText: BODY, format: 'raw' });
  });

  it('refuses the same signature once one byte of the body changed', () => {
    const tampered = Buffer.from(body);
    tampered[tampered.indexOf('pass')] = 'P'.charCodeAt(0);
    expect(verifyCallback(tampered, sig.toString('base64url'), [parseOpenSshEcdsaKey(line)])).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('round-trips the key: our OpenSSH encoding of the OpenSSL public key is what ssh-keygen printed', () => {
    expect(toOpenSshEcdsaLine(parseOpenSshEcdsaKey(line))).toBe(line.split(' ').slice(0, 2).join(' '));
  });

  it('agrees the other way: ssh-keygen reads our OpenSSH line and OpenSSL verifies our signature with it', () => {
    const key = newKey();
    writeFileSync(join(dir, 'node.pub'), `${toOpenSshEcdsaLine(key, 'emulator')}\n`);
    const pem = execFileSync('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', 'node.pub'], { cwd: dir, encoding: 'utf8' });
    writeFileSync(join(dir, 'node-pub.pem'), pem);
    writeFileSync(join(dir, 'node-sig.der'), signDer(BODY, key));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', 'node-pub.pem', '-signature', 'node-sig.der', 'body.json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(out).toContain('Verified OK');
  });
});

describe('verifyCallback', () => {
  const key = newKey();
  const keyLine = toOpenSshEcdsaLine(key);
  const pub = parseOpenSshEcdsaKey(keyLine);
  const body = Buffer.from(BODY);

  it('accepts url-safe and standard base64, with or without padding', () => {
    let der = signDer(body, key);
    // Find a signature whose base64 uses both alphabet-specific characters and padding.
    while (!/[+/]/.test(der.toString('base64')) || !der.toString('base64').endsWith('=')) der = signDer(body, key);
    const std = der.toString('base64');
    const url = std.replace(/\+/g, '-').replace(/\//g, '_');
    for (const header of [std, url, std.replace(/=+$/, ''), url.replace(/=+$/, ''), ` ${url} `]) {
      expect(verifyCallback(body, header, [pub])).toMatchObject({ ok: true, format: 'raw' });
    }
  });

  it('reports a missing or empty header as missing-signature', () => {
    expect(verifyCallback(body, undefined, [pub])).toEqual({ ok: false, reason: 'missing-signature' });
    expect(verifyCallback(body, '  ', [pub])).toEqual({ ok: false, reason: 'missing-signature' });
  });

  it('refuses garbage headers, a wrong key and an empty key list', () => {
    const good = signDer(body, key).toString('base64url');
    expect(verifyCallback(body, 'not base64!', [pub])).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyCallback(body, 'AAAA', [pub])).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyCallback(body, good, [parseOpenSshEcdsaKey(toOpenSshEcdsaLine(newKey()))])).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyCallback(body, good, [])).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('tries every key: the second one may be the right one (rotation)', () => {
    const other = parseOpenSshEcdsaKey(toOpenSshEcdsaLine(newKey()));
    expect(verifyCallback(body, signDer(body, key).toString('base64url'), [other, pub])).toMatchObject({ ok: true });
  });

  it('accepts the legacy double-encoded body signed over its inner text', () => {
    const legacy = Buffer.from(JSON.stringify(BODY));
    const result = verifyCallback(legacy, signDer(BODY, key).toString('base64url'), [pub]);
    expect(result).toEqual({ ok: true, payloadText: BODY, format: 'legacy' });
  });

  it('refuses a legacy body whose signature covers the outer bytes of another text', () => {
    const legacy = Buffer.from(JSON.stringify(BODY.replace('pass', 'fail')));
    expect(verifyCallback(legacy, signDer(BODY, key).toString('base64url'), [pub])).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('keeps non-ASCII payloads byte-exact', () => {
    const text = '{"kind":"build","status":{"uid":"abc","state":"finished","git_short_log":"Ünïcødé ✓"}}';
    expect(verifyCallback(Buffer.from(text), signDer(text, key).toString('base64url'), [pub])).toEqual({
      ok: true,
      payloadText: text,
      format: 'raw',
    });
    const legacy = Buffer.from(JSON.stringify(text));
    expect(verifyCallback(legacy, signDer(text, key).toString('base64url'), [pub])).toEqual({
      ok: true,
      payloadText: text,
      format: 'legacy',
    });
  });
});

describe('parseOpenSshEcdsaKey', () => {
  const line = toOpenSshEcdsaLine(newKey(), 'tux@example');

  it('accepts a comment and surrounding whitespace', () => {
    expect(parseOpenSshEcdsaKey(`  ${line}\n`).asymmetricKeyType).toBe('ec');
    expect(parseOpenSshEcdsaKey(line).asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
  });

  it('names other key types', () => {
    expect(() => parseOpenSshEcdsaKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x')).toThrow(
      /unsupported key type "ssh-ed25519"/,
    );
    expect(() => parseOpenSshEcdsaKey('ecdsa-sha2-nistp384 AAAA')).toThrow(OpenSshKeyError);
  });

  it('explains malformed input', () => {
    const [type, b64] = line.split(' ');
    const blob = Buffer.from(b64, 'base64');
    expect(() => parseOpenSshEcdsaKey('')).toThrow(/expected "<type> <base64 blob>/);
    expect(() => parseOpenSshEcdsaKey(type)).toThrow(/expected "<type> <base64 blob>/);
    expect(() => parseOpenSshEcdsaKey(`${type} ***`)).toThrow(/not base64/);
    expect(() => parseOpenSshEcdsaKey(`${type} ${blob.subarray(0, blob.length - 5).toString('base64')}`)).toThrow(/runs past its end/);
    const offCurve = Buffer.from(blob);
    offCurve[offCurve.length - 1] ^= 0x01;
    expect(() => parseOpenSshEcdsaKey(`${type} ${offCurve.toString('base64')}`)).toThrow(/not a valid P-256 point/);
    const compressed = Buffer.from(blob);
    compressed[blob.length - 65] = 0x02;
    expect(() => parseOpenSshEcdsaKey(`${type} ${compressed.toString('base64')}`)).toThrow(/uncompressed P-256 point/);
  });
});
