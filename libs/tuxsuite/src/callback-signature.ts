import { KeyObject, verify } from 'node:crypto';

/** TuxSuite's callback signature header (lower-case, as node's http gives header names). */
export const TUX_SIGNATURE_HEADER = 'x-tux-payload-signature';

export type CallbackFormat = 'raw' | 'legacy';

export type VerifyResult =
  { ok: true; payloadText: string; format: CallbackFormat } | { ok: false; reason: 'missing-signature' | 'bad-signature' };

// Both base64 alphabets (TuxSuite sends url-safe with padding; be lenient on alphabet and padding only).
const BASE64_ANY = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Checks `x-tux-payload-signature` (base64 of a DER ECDSA P-256/SHA-256 signature) against each key.
 * Current format: signed over the exact raw body, which is the JSON. Legacy format (before late 2024):
 * the body is a JSON string whose content is the JSON text, signed over that inner text (UTF-8).
 * Nothing is trusted before a signature matches; the only parse is unwrapping the legacy string.
 */
export function verifyCallback(rawBody: Buffer, signatureHeader: string | undefined, keys: KeyObject[]): VerifyResult {
  const header = signatureHeader?.trim();
  if (!header) return { ok: false, reason: 'missing-signature' };
  if (!BASE64_ANY.test(header)) return { ok: false, reason: 'bad-signature' };
  const signature = Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (signature.length === 0) return { ok: false, reason: 'bad-signature' };

  if (keys.some((key) => verifies(rawBody, signature, key))) return { ok: true, payloadText: rawBody.toString('utf8'), format: 'raw' };

  const inner = unwrapLegacy(rawBody);
  if (inner !== null) {
    const innerBytes = Buffer.from(inner, 'utf8');
    if (keys.some((key) => verifies(innerBytes, signature, key))) return { ok: true, payloadText: inner, format: 'legacy' };
  }
  return { ok: false, reason: 'bad-signature' };
}

function verifies(data: Buffer, signature: Buffer, key: KeyObject): boolean {
  try {
    return verify('sha256', data, { key, dsaEncoding: 'der' }, signature);
  } catch {
    // Malformed DER or a key of another type: simply not a match.
    return false;
  }
}

/** The legacy candidate: only a body that is a JSON string literal; its value is verified before use. */
function unwrapLegacy(rawBody: Buffer): string | null {
  const text = rawBody.toString('utf8').trim();
  if (!text.startsWith('"')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}
