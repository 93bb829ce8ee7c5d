/** The API, on this origin, with the token the user gave: the same roles as any other client. */

const KEY = 'runyard-token';

export type Role = 'viewer' | 'operator' | 'admin';
export interface Me {
  name: string;
  role: Role;
}

export const token = {
  get: (): string | null => sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY),
  set(value: string, remember: boolean): void {
    sessionStorage.setItem(KEY, value);
    if (remember) localStorage.setItem(KEY, value);
  },
  clear(): void {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
  },
};

/** An answer other than 2xx, with the server's own words (its `error_message`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const authHeaders = (): Record<string, string> => {
  const t = token.get();
  return t ? { authorization: `Bearer ${t}` } : {};
};

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: { ...authHeaders(), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    const message = (body as { error_message?: string } | null)?.error_message ?? `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message);
  }
  return body as T;
}

export const mayOperate = (me: Me): boolean => me.role === 'operator' || me.role === 'admin';

export interface Run {
  id: number;
  kind: string;
  expid: string | null;
  profile: string | null;
  runner: string;
  argv: string[];
  status: string;
  detail: string | null;
  exit_code: number | null;
  pid: number | null;
  host: string | null;
  target: Record<string, unknown> | null;
  run_dir: string | null;
  result: Record<string, unknown> | null;
  requested_by: string;
  session_id: number | null;
  attempts: number;
  last_error: string | null;
  deadline_at: string | null;
  log_bytes: number;
  log_truncated_bytes: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  modified_at: string;
}

export const FINAL = ['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'];
export const isFinal = (run: Run): boolean => FINAL.includes(run.status);
