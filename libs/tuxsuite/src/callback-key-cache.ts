import { KeyObject } from 'node:crypto';
import { verifyCallback, VerifyResult } from './callback-signature';
import { parseOpenSshEcdsaKey } from './openssh-key';

export interface CallbackKeyCacheOptions {
  /** Configured OpenSSH lines: always trusted, never refetched. */
  staticKeys?: string[];
  /** Fetches the project's current key line (TuxSuiteClient.getKeys); omit to use only static keys. */
  fetchKey?: () => Promise<string>;
  /** Least time between two fetches, so a flood of forged callbacks cannot hammer TuxSuite. Default 10 s. */
  minRefetchIntervalMs?: number;
  now?: () => number;
}

/**
 * Verifies callbacks with the configured keys plus TuxSuite's published key, fetched lazily and cached
 * (TuxSuite's docs say to cache it). A bad signature refetches the key once — TuxSuite may have rotated
 * it — and verifies again; concurrent refetches share one request.
 */
export class CallbackKeyCache {
  private readonly staticKeys: KeyObject[];
  private fetched: KeyObject | undefined;
  private lastFetchAt = -Infinity;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly opts: CallbackKeyCacheOptions) {
    this.staticKeys = (opts.staticKeys ?? []).map(parseOpenSshEcdsaKey);
  }

  async verify(rawBody: Buffer, signatureHeader: string | undefined): Promise<VerifyResult> {
    if (!signatureHeader?.trim()) return { ok: false, reason: 'missing-signature' };
    if (this.opts.fetchKey && !this.fetched) await this.refetch(true);
    const first = verifyCallback(rawBody, signatureHeader, this.keys());
    if (first.ok || !this.opts.fetchKey) return first;
    const refreshed = await this.refetch(false);
    return refreshed ? verifyCallback(rawBody, signatureHeader, this.keys()) : first;
  }

  /** Current keys, static first. */
  keys(): KeyObject[] {
    return this.fetched ? [...this.staticKeys, this.fetched] : [...this.staticKeys];
  }

  /** Returns whether a new fetch happened (false when rate-limited). Fetch errors propagate. */
  private async refetch(initial: boolean): Promise<boolean> {
    const now = (this.opts.now ?? Date.now)();
    if (this.inFlight) {
      await this.inFlight;
      return true;
    }
    if (!initial && now - this.lastFetchAt < (this.opts.minRefetchIntervalMs ?? 10_000)) return false;
    this.lastFetchAt = now;
    this.inFlight = (async () => {
      this.fetched = parseOpenSshEcdsaKey(await this.opts.fetchKey!());
    })().finally(() => (this.inFlight = undefined));
    await this.inFlight;
    return true;
  }
}
