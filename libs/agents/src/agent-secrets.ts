import { randomBytes } from 'node:crypto';
import { sameSecret, sha256 } from '@runyard/auth';

/** 32 random bytes: high entropy, so its SHA-256 is enough to store (as API tokens are). */
export const newSecret = (): string => randomBytes(32).toString('base64url');

export { sha256 };

/** Compared by hash in constant time; nothing stored matches nothing. */
export const matchesHash = (secret: string, storedSha256: string | null): boolean =>
  storedSha256 !== null && /^[0-9a-f]{64}$/.test(storedSha256) && sameSecret(secret, storedSha256);
