import type { KcidbPayload } from './kcidb';

export interface KcidbClientOptions {
  url: string;
  token: string;
  /** Default 30 s. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export class KcidbSubmitError extends Error {
  override readonly name = 'KcidbSubmitError';

  constructor(
    message: string,
    /** null for network errors and timeouts. */
    readonly status: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Submits KCIDB payloads. Unlike the bridge, an HTTP error is a failure: the caller keeps the payload for a later sync. */
export class KcidbClient {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: KcidbClientOptions) {
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  async submit(payload: KcidbPayload): Promise<void> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.opts.url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.opts.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (e) {
      throw new KcidbSubmitError(`KCIDB submission failed: ${e instanceof Error ? e.message : String(e)}`, null, { cause: e });
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new KcidbSubmitError(`KCIDB submission answered ${res.status}: ${text.slice(0, 500) || '(empty body)'}`, res.status);
  }
}
