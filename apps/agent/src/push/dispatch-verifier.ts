import { createPublicKey, KeyObject, verify } from 'node:crypto';
import { DispatchTarget, SIGNATURE_HEADERS, SIGNATURE_WINDOW_MS, signingText } from '@runyard/agent-protocol';

/**
 * Checks Runyard's signed dispatches against the key pinned at registration: for this agent and its
 * endpoint, in the window, each nonce once. The nonces seen are kept (`nonces`, in the state file)
 * until their window is over, so a captured dispatch cannot be replayed after a restart either.
 */
export class DispatchVerifier {
  private key?: KeyObject;
  private readonly seen: Map<string, number>;

  constructor(seen: Record<string, number> = {}) {
    this.seen = new Map(Object.entries(seen));
  }

  pin(publicKeyBase64: string | undefined): void {
    this.key = publicKeyBase64 ? createPublicKey({ key: Buffer.from(publicKeyBase64, 'base64'), format: 'der', type: 'spki' }) : undefined;
  }

  get pinned(): boolean {
    return this.key !== undefined;
  }

  /** Nonces still in their window, with when they expire: what the state file keeps. */
  get nonces(): Record<string, number> {
    this.forget(Date.now());
    return Object.fromEntries(this.seen);
  }

  verify(
    to: DispatchTarget | null,
    method: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
  ): boolean {
    const one = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : '');
    const timestamp = one(SIGNATURE_HEADERS.timestamp);
    const nonce = one(SIGNATURE_HEADERS.nonce);
    const signature = one(SIGNATURE_HEADERS.signature);
    if (!this.key || !to || !timestamp || !/^[0-9a-f]{32}$/.test(nonce) || !signature) return false;
    const now = Date.now();
    if (!/^\d{1,16}$/.test(timestamp) || Math.abs(now - Number(timestamp)) > SIGNATURE_WINDOW_MS) return false;
    this.forget(now);
    if (this.seen.has(nonce)) return false;
    const text = signingText(to, method, path, timestamp, nonce, body);
    const ok = verify(null, Buffer.from(text), this.key, Buffer.from(signature, 'base64'));
    if (ok) this.seen.set(nonce, now + 2 * SIGNATURE_WINDOW_MS);
    return ok;
  }

  private forget(now: number): void {
    for (const [n, expires] of this.seen) if (expires < now) this.seen.delete(n);
  }
}
