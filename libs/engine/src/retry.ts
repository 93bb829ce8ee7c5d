export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Calls `fn` until it succeeds, backing off from `firstMs` to `maxMs`: for writes whose truth is
 * already safe elsewhere (an exit status on disk, output in files) and only has to reach Postgres.
 * `failed` hears each failure; `giveUp` ends the loop early (a worker shutting down).
 */
export async function untilDone<T>(
  fn: () => Promise<T>,
  opts: { failed?: (e: Error) => void; giveUp?: () => boolean; firstMs?: number; maxMs?: number } = {},
): Promise<T | undefined> {
  let delay = opts.firstMs ?? 200;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      opts.failed?.(e as Error);
      if (opts.giveUp?.()) return undefined;
      await sleep(delay);
      delay = Math.min(delay * 2, opts.maxMs ?? 5_000);
    }
  }
}
