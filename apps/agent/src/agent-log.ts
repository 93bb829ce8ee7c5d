/** One JSON line per event on stdout; secrets and job tokens are never part of a message. */
export function log(level: 'info' | 'warn' | 'error', msg: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...extra })}\n`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Backoff with jitter, so agents cut off together do not all come back in the same instant. */
export const backoff = (attempt: number, firstMs = 250, maxMs = 10_000) =>
  Math.min(maxMs, firstMs * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random() / 2);
