import { RunyardError } from './errors';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface RequestOptions {
  json?: unknown;
  body?: Buffer;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** The request may be sent twice (Runyard answers a repeated call batch as stored): retried once when the connection fails. */
  repeatable?: boolean;
}

const REPEATABLE = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/** A small client for Runyard's API: bearer token, error bodies, and a count of the bytes received. */
export class ApiClient {
  /** Bytes of the answers' bodies received so far: what crossed to this client. */
  bytesReceived = 0;
  readonly url: string;

  constructor(
    url: string | undefined,
    private readonly token: string | undefined,
  ) {
    this.url = (url || DEFAULT_URL).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+/.test(this.url)) throw new RunyardError(`RUNYARD_URL must be an http(s) URL, not ${JSON.stringify(this.url)}`);
  }

  /** Answers the status, headers and body; throws only when Runyard cannot be reached. */
  async request(method: string, path: string, o: RequestOptions = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: Buffer | string | undefined = o.body;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['content-type'] = 'application/json';
    }
    let res: Response | undefined;
    for (let attempt = 0; !res; attempt++) {
      try {
        res = await fetch(this.url + path, { method, headers, body, signal: o.signal });
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
        // A kept-alive connection the server had just closed: once more, on a new one.
        if (attempt === 0 && (o.repeatable || REPEATABLE.has(method))) continue;
        const cause = (e as { cause?: Error }).cause;
        throw new RunyardError(`cannot reach Runyard at ${this.url}: ${cause?.message ?? (e as Error).message}`);
      }
    }
    const data = Buffer.from(await res.arrayBuffer());
    this.bytesReceived += data.length;
    return { status: res.status, headers: res.headers, body: data };
  }

  async json<T>(method: string, path: string, payload?: unknown, expect: number[] = [200, 201], repeatable = false): Promise<T> {
    const res = await this.request(method, path, payload === undefined ? { repeatable } : { json: payload, repeatable });
    if (!expect.includes(res.status)) throw errorFrom(res.status, res.body);
    return (res.body.length ? JSON.parse(res.body.toString('utf8')) : undefined) as T;
  }
}

/** The error an answer stands for, as `Type` (RunyardError by default). */
export function errorFrom(status: number, body: Buffer, Type: typeof RunyardError = RunyardError): RunyardError {
  let parsed: Record<string, unknown> = {};
  let message: string;
  try {
    parsed = JSON.parse(body.toString('utf8'));
    message = typeof parsed.error_message === 'string' ? parsed.error_message : JSON.stringify(parsed);
  } catch {
    message = body.toString('utf8').slice(0, 500) || `HTTP ${status}`;
  }
  return new Type(message, status, parsed);
}
