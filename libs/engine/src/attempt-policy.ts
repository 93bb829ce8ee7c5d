import { DEFAULT_RETRY, RetryCause, RetryPolicy, RunLimit } from '@runyard/config';

/** How long to wait before the next attempt after `cause`, or null when the run's policy does not try again. */
export function retryDelay(policy: RetryPolicy | undefined, attempt: number, cause: RetryCause): number | null {
  const p = policy ?? DEFAULT_RETRY;
  if (!p.on.includes(cause) || attempt > p.max) return null;
  return p.backoff === 'exponential' ? p.delayMs * 2 ** (attempt - 1) : p.delayMs;
}

/** Why a run waits in the queue for a limit. */
export const limitDetail = (limit: RunLimit, held: number): string =>
  `waiting: ${limit.what} has ${held} of ${limit.max} runs active (MAX_CONCURRENT_RUNS)`;

/** What a run that hit its TIMEOUT says of it. */
export const timeoutDetail = (ms: number): string => `timed out after ${formatSeconds(ms)}`;

const formatSeconds = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
};

/** Calls `fn` at `when`, also when that is further away than a single timer can wait (24.8 days). */
export function atTime(when: Date, fn: () => void): { cancel(): void } {
  const MAX = 2 ** 31 - 1;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = when.getTime() - Date.now();
    timer = setTimeout(left > MAX ? arm : fn, Math.max(0, Math.min(left, MAX)));
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}
