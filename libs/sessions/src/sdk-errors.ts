import { RunyardError } from '@runyard/runs';
import type { RemoteErrorInfo } from './sdk-types';

/** A package or object larger than Runyard accepts. */
export class TooLargeError extends RunyardError {
  override readonly status = 413;
}

/** The object is the result of a call that failed: the body carries the remote error. */
export class ObjectFailedError extends RunyardError {
  override readonly status = 424;
  override readonly extra: Record<string, unknown>;
  constructor(
    readonly key: string,
    readonly remote: RemoteErrorInfo,
  ) {
    super(`${remote.type}: ${remote.message}`);
    this.extra = { key, remote_error: remote };
  }
}

/** An executor that was replaced (its session restarted it elsewhere) or whose session is gone: it must stop. */
export class ExecutorGoneError extends RunyardError {
  override readonly status = 410;
}
