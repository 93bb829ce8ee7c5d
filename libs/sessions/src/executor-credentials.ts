import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** `rye_<executor id>_<secret>`: the id finds the executor, the secret is compared by its SHA-256. */
const TOKEN = /^rye_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A credential for one executor (one run of a session): useless for anything else, and dead once the executor is retired. */
export function newExecutorCredential(): { id: string; token: string; secretSha256: string } {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `rye_${id.replace(/-/g, '')}_${secret}`, secretSha256: sha256(secret) };
}

export function parseExecutorToken(token: string): { id: string; secret: string } | null {
  const m = TOKEN.exec(token);
  if (!m) return null;
  const hex = m[1];
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { id, secret: m[2] };
}

export const sameExecutorSecret = (secret: string, storedSha256: string): boolean =>
  timingSafeEqual(Buffer.from(sha256(secret), 'hex'), Buffer.from(storedSha256, 'hex'));
