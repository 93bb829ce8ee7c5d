import { createPublicKey, KeyObject, verify } from 'node:crypto';
import { SIGNATURE_HEADERS, SIGNATURE_WINDOW_MS, signingText } from '@runyard/agent-protocol';

/**
 * Checks Runyard's signed dispatches against the key pinned at registration: in the window, each
 * nonce once. Such a request carries no secret a listener could reuse.
 */
export class DispatchVerifier {
  private key?: KeyObject;
  private readonly seen = new Map<string, number>();

  pin(publicKeyBase64: string | undefined): void {
    this.key = publicKeyBase64 ? createPublicKey({ key: Buffer.from(publicKeyBase64, 'base64'), format: 'der', type: 'spki' }) : undefined;
  }

  get pinned(): boolean {
    return this.key !== undefined;
  }

  verify(method: string, path: string, headers: Record<string, string | string[] | undefined>, body: Buffer): boolean {
    const one = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : '');
    const timestamp = one(SIGNATURE_HEADERS.timestamp);
    const nonce = one(SIGNATURE_HEADERS.nonce);
    const signature = one(SIGNATURE_HEADERS.signature);
    if (!this.key || !timestamp || !/^[0-9a-f]{32}$/.test(nonce) || !signature) return false;
    const now = Date.now();
    if (!/^\d{1,16}$/.test(timestamp) || Math.abs(now - Number(timestamp)) > SIGNATURE_WINDOW_MS) return false;
    for (const [n, expires] of this.seen) if (expires < now) this.seen.delete(n);
    if (this.seen.has(nonce)) return false;
    const ok = verify(null, Buffer.from(signingText(method, path, timestamp, nonce, body)), this.key, Buffer.from(signature, 'base64'));
    if (ok) this.seen.set(nonce, now + 2 * SIGNATURE_WINDOW_MS);
    return ok;
  }
}
