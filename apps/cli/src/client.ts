/** An error answer of the API: its `error_message` (and `detail`) goes to stderr as one line, exit 1. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown = null,
  ) {
    super(message);
  }
}

export type LogFrame =
  | { type: 'log'; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'result'; data: { runId: number; status: string; code: number | null; duration: number | null } }
  | { type: 'error'; error_message: string };

/**
 * The HTTP side of the CLI: global fetch, the bearer token when RUNYARD_TOKEN is set, and a
 * deadline on every answer (a followed log's deadline covers its headers: the stream may last).
 */
export class RunyardClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 30_000,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  /** `stop` (Ctrl-C) ends a stream at any time; the deadline covers the headers and, unless `whole` is false, the body. */
  private async fetch(path: string, init: RequestInit, whole = true, stop?: AbortSignal): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const signal = stop ? AbortSignal.any([controller.signal, stop]) : controller.signal;
      const res = await fetch(new URL(path, this.baseUrl), { ...init, signal });
      if (!whole) return res; // headers arrived: the stream itself may last as long as the run
      // The body within the same deadline: a server that sends headers and then hangs is caught too.
      const body = await res.arrayBuffer();
      return new Response(res.status === 204 ? null : body, { status: res.status, headers: res.headers });
    } catch (e) {
      if (stop?.aborted) throw e;
      if (controller.signal.aborted) {
        throw new ApiError(0, `Runyard at ${this.baseUrl} did not answer within ${this.timeoutMs / 1000} s (--timeout, RUNYARD_TIMEOUT)`);
      }
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(0, `cannot reach Runyard at ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private static async fail(res: Response): Promise<never> {
    const text = await res.text().catch(() => '');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, errorLine(res.status, body, text), body);
  }

  /** A JSON request; answers the parsed body (undefined for 204), throws ApiError for a non-2xx answer. */
  async json<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(path, {
      method,
      headers: this.headers(
        body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) return RunyardClient.fail(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  async text(path: string): Promise<string> {
    const res = await this.fetch(path, { headers: this.headers() });
    if (!res.ok) return RunyardClient.fail(res);
    return res.text();
  }

  /**
   * Follows a run's log to its result frame. If the connection drops, it reconnects and skips
   * the log frames already delivered (the server sends the same lines in the same order). It ends
   * quietly, without a result frame, once `stop` is aborted.
   */
  async *follow(runId: number, stop?: AbortSignal, retries = 5): AsyncGenerator<LogFrame> {
    let delivered = 0;
    for (let attempt = 0; ; attempt++) {
      let seen = 0;
      try {
        const res = await this.fetch(
          `/api/v1/runs/${runId}/logs?follow=true`,
          { headers: this.headers({ accept: 'application/x-ndjson' }) },
          false,
          stop,
        );
        if (!res.ok) await RunyardClient.fail(res);
        for await (const frame of ndjson(res)) {
          if (frame.type === 'log' && seen++ < delivered) continue;
          if (frame.type === 'log') delivered++;
          yield frame;
          if (frame.type === 'result') return;
          if (frame.type === 'error') throw new ApiError(500, frame.error_message);
        }
        throw new Error('the log stream ended before the run did');
      } catch (e) {
        if (stop?.aborted) return;
        if (e instanceof ApiError || attempt >= retries) throw e;
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
  }
}

/**
 * An error answer as one line: its `error_message` (or Automn's `error`), then its `detail` when that
 * says more; the start of the body when it is not Runyard's JSON.
 */
export function errorLine(status: number, body: unknown, text: string): string {
  const b = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const message = typeof b.error_message === 'string' ? b.error_message : typeof b.error === 'string' ? b.error : null;
  const detail = typeof b.detail === 'string' && b.detail && !message?.includes(b.detail) ? b.detail : null;
  const line =
    message !== null ? `${message}${detail ? `: ${detail}` : ''}` : (detail ?? `HTTP ${status}${text ? `: ${text.slice(0, 500)}` : ''}`);
  return line.replace(/\s*\n\s*/g, ' ').trim();
}

/** The frames of an NDJSON response body, one per line. */
async function* ndjson(res: Response): AsyncGenerator<LogFrame> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield JSON.parse(line) as LogFrame;
    }
  }
  buffered += decoder.decode();
  if (buffered.trim()) yield JSON.parse(buffered) as LogFrame;
}
