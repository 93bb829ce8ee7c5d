/** An answer of the API: its status and parsed JSON body (null when empty or not JSON). */
export interface Answer<T = unknown> {
  status: number;
  body: T;
}

/** The API could not be reached (or the request was cut): worth trying again. */
export class Unreachable extends Error {}

/** The agent's HTTP side: JSON requests with a bearer credential (its secret or a run's job token), outbound only. */
export class RunyardClient {
  constructor(private readonly baseUrl: string) {}

  async request<T>(method: string, path: string, credential: string, body?: unknown, signal?: AbortSignal): Promise<Answer<T>> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          authorization: `Bearer ${credential}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new Unreachable(`${method} ${path}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new Unreachable(`${method} ${path}: the answer was cut (${(e as Error).message})`);
    }
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T };
  }
}

/** The error message of an error answer. */
export const messageOf = (a: Answer): string =>
  ((a.body as { error_message?: string } | null)?.error_message ?? `HTTP ${a.status}`).slice(0, 500);
