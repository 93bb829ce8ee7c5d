import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `ry_<id>_<secret>`: the id finds the row, the secret is compared (by its SHA-256) in constant time. */
const TOKEN = /^ry_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** The same, in words for the API docs: an opaque bearer token, nothing to decode (not a JWT). */
export const TOKEN_FORMAT =
  'an opaque API token, `ry_<id>_<secret>`: `ry_`, a 12-character id (a-z, 0-9), `_`, a 43-character secret (base64url); ' +
  'nothing in it is meant to be decoded (not a JWT). POST /api/v1/tokens issues them; RUNYARD_BOOTSTRAP_TOKEN is taken as it is.';

/** A token Runyard issued, anywhere in a text (output, a path): what masking looks for. */
export const ISSUED_TOKEN = /ry_[a-z0-9]{12}_[A-Za-z0-9_-]{43}/;
/** The start of one at the very end of a text, which the next bytes may complete. */
export const ISSUED_TOKEN_START = /r(?:y(?:_[a-z0-9]{0,12}(?:_[A-Za-z0-9_-]{0,42})?)?)?$/;

/** The text with every issued token replaced by [MASKED]. */
export const maskTokens = (text: string): string => text.replace(new RegExp(ISSUED_TOKEN.source, 'g'), '[MASKED]');

/** The same for raw output bytes (a token is ASCII, so latin1 keeps every other byte as it is). */
export const maskTokenBytes = (data: Buffer): Buffer => Buffer.from(maskTokens(data.toString('latin1')), 'latin1');

export function newToken(): { id: string; secret: string; token: string } {
  const id = randomBytes(9)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `ry_${id}_${secret}` };
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export const bearerToken = (header: string | undefined): string | null =>
  header ? (/^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null) : null;

export function parseToken(token: string): { id: string; secret: string } | null {
  const m = TOKEN.exec(token);
  return m ? { id: m[1], secret: m[2] } : null;
}

export const sha256 = (text: string): string => hash('sha256', text, 'hex');

export function sameSecret(secret: string, storedSha256: string): boolean {
  return timingSafeEqual(Buffer.from(sha256(secret), 'hex'), Buffer.from(storedSha256, 'hex'));
}
