import { createHash, timingSafeEqual } from 'node:crypto';

/** Equal strings, compared in time that does not depend on where they differ (nor, through the digests, on their lengths). */
export function sameText(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b)) && a.length === b.length;
}
