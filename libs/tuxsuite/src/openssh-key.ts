import { createPublicKey, KeyObject } from 'node:crypto';

/** The only key type TuxSuite publishes for callback signatures. */
export const ECDSA_P256_SSH_TYPE = 'ecdsa-sha2-nistp256';
const CURVE_NAME = 'nistp256';
const COORD_BYTES = 32;

export class OpenSshKeyError extends Error {
  override readonly name = 'OpenSshKeyError';
}

/**
 * `ecdsa-sha2-nistp256 AAAA… [comment]` (TuxSuite's keys endpoint, `ssh.pub`) → a node public KeyObject.
 * The blob is three uint32-length-prefixed strings (RFC 5656 §3.1): type, curve, point 0x04‖X‖Y.
 */
export function parseOpenSshEcdsaKey(line: string): KeyObject {
  const fields = line.trim().split(/\s+/);
  if (fields.length < 2 || fields[0] === '') throw new OpenSshKeyError('OpenSSH public key: expected "<type> <base64 blob> [comment]"');
  const [type, b64] = fields;
  if (type !== ECDSA_P256_SSH_TYPE)
    throw new OpenSshKeyError(`OpenSSH public key: unsupported key type "${type}", expected ${ECDSA_P256_SSH_TYPE}`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new OpenSshKeyError('OpenSSH public key: the key blob is not base64');

  const parts = readSshStrings(Buffer.from(b64, 'base64'));
  if (parts.length !== 3) throw new OpenSshKeyError(`OpenSSH public key: expected 3 fields in the blob, found ${parts.length}`);
  const [blobType, curve, point] = parts;
  if (blobType.toString('latin1') !== ECDSA_P256_SSH_TYPE)
    throw new OpenSshKeyError('OpenSSH public key: the blob does not match the key type');
  if (curve.toString('latin1') !== CURVE_NAME)
    throw new OpenSshKeyError(`OpenSSH public key: unexpected curve "${curve.toString('latin1')}"`);
  if (point.length !== 1 + 2 * COORD_BYTES || point[0] !== 0x04)
    throw new OpenSshKeyError('OpenSSH public key: expected an uncompressed P-256 point');

  const x = point.subarray(1, 1 + COORD_BYTES).toString('base64url');
  const y = point.subarray(1 + COORD_BYTES).toString('base64url');
  try {
    // Node checks that the point lies on the curve.
    return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
  } catch (e) {
    throw new OpenSshKeyError(`OpenSSH public key: not a valid P-256 point (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The reverse, for the emulator's keys endpoint: a P-256 KeyObject (public or private) → an OpenSSH line. */
export function toOpenSshEcdsaLine(key: KeyObject, comment?: string): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y)
    throw new OpenSshKeyError('only P-256 keys have an ecdsa-sha2-nistp256 form');
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  const blob = Buffer.concat([sshString(Buffer.from(ECDSA_P256_SSH_TYPE)), sshString(Buffer.from(CURVE_NAME)), sshString(point)]);
  return [ECDSA_P256_SSH_TYPE, blob.toString('base64'), comment].filter(Boolean).join(' ');
}

function readSshStrings(blob: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) throw new OpenSshKeyError('OpenSSH public key: truncated length prefix in the blob');
    const len = blob.readUInt32BE(at);
    at += 4;
    if (at + len > blob.length) throw new OpenSshKeyError('OpenSSH public key: a blob field runs past its end');
    out.push(blob.subarray(at, at + len));
    at += len;
  }
  return out;
}

function sshString(data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}
