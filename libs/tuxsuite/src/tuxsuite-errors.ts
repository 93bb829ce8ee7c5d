/**
 * A TuxSuite request that failed. `status` is null for network errors and timeouts. `retryable` tells
 * the caller (e.g. a BullMQ job) whether trying later could help: true for network/5xx/429 after the
 * client's own retries ran out, false for 4xx and malformed answers.
 */
export class TuxSuiteRequestError extends Error {
  override readonly name = 'TuxSuiteRequestError';

  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class DownloadError extends Error {
  override readonly name = 'DownloadError';

  constructor(
    message: string,
    readonly reason: 'http-status' | 'too-large' | 'timeout' | 'network',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
