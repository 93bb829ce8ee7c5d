/**
 * `work`, or the error of `onTimeout` after `ms`: BullMQ waits for an absent Redis indefinitely, and
 * no caller (a request, a scrape) may be held that long.
 */
export async function answerWithin<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  work.catch(() => undefined); // a late failure after the timeout has nobody to tell
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
