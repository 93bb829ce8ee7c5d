import http from 'node:http';
import https from 'node:https';
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
  private readonly secure: boolean;
  private readonly agent: http.Agent;

  constructor(
    url: string | undefined,
    private readonly token: string | undefined,
  ) {
    this.url = (url || DEFAULT_URL).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+/.test(this.url)) throw new RunyardError(`RUNYARD_URL must be an http(s) URL, not ${JSON.stringify(this.url)}`);
    this.secure = this.url.startsWith('https:');
    this.agent = this.secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  /** Answers the status, headers and body; throws only when Runyard cannot be reached. */
  async request(method: string, path: string, o: RequestOptions = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: Buffer | undefined = o.body;
    if (o.json !== undefined) {
      body = Buffer.from(JSON.stringify(o.json));
      headers['content-type'] = 'application/json';
    }
    if (body) headers['content-length'] = String(body.length);
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.send(method, path, headers, body, o.signal);
        this.bytesReceived += res.body.length;
        return res;
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
        // A kept-alive connection the server had just closed (it never read the request): once more, on a new one.
        if (attempt === 0 && (o.repeatable || REPEATABLE.has(method) || (e as { stale?: boolean }).stale)) continue;
        throw new RunyardError(`cannot reach Runyard at ${this.url}: ${(e as Error).message}`);
      }
    }
  }

  /** One request on a kept-alive connection (node:http: a third of fetch's CPU per request, measured). */
  private send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; headers: Headers; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = (this.secure ? https : http).request(new URL(this.url + path), { method, headers, agent: this.agent, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks) });
        });
      });
      req.on('error', (e: NodeJS.ErrnoException & { stale?: boolean }) => {
        e.stale = req.reusedSocket && e.code === 'ECONNRESET';
        reject(e);
      });
      req.end(body);
    });
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
