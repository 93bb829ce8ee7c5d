/** A Runyard API answer that is not a success, or Runyard unreachable. */
export class RunyardError extends Error {
  override name = 'RunyardError';
  constructor(
    message: string,
    readonly status?: number,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The application name is taken: choose another, pass `{ reuse: true }`, or remove it (`runyard apps rm NAME`). */
export class ApplicationExistsError extends RunyardError {
  override name = 'ApplicationExistsError';
}

/** The packed directory is larger than the Runyard accepts: exclude what the code does not need. */
export class PackageTooLargeError extends RunyardError {
  override name = 'PackageTooLargeError';
}

/** Runyard's package or object storage directory does not exist: the admin has to create it. */
export class StorageMissingError extends RunyardError {
  override name = 'StorageMissingError';
}

/** No profile of the Runyard starts executors for Node. */
export class NoProfileError extends RunyardError {
  override name = 'NoProfileError';
}

/** `service()` cannot ship what it was given (not exported from the package, excluded, a reserved method name …). */
export class ServiceDefinitionError extends RunyardError {
  override name = 'ServiceDefinitionError';
}

/** An error thrown by the remote code: its type name (`name`), message and the remote stack. */
export class RemoteError extends Error {
  constructor(
    readonly remoteType: string,
    message: string,
    readonly remoteStack?: string,
  ) {
    super(message);
    this.name = remoteType;
    if (remoteStack)
      this.stack = `${remoteStack}\n    at (the remote call's caller)\n${new Error().stack?.split('\n').slice(1).join('\n') ?? ''}`;
  }
}

/** The service's executors kept vanishing (or could not start): its calls cannot complete. */
export class SessionLostError extends RemoteError {}
/** The service was closed before the call ran. */
export class SessionClosedError extends RemoteError {}
/** A future passed as an argument failed, so the call could not run. */
export class DependencyFailedError extends RemoteError {}
/** The executor running the call vanished every time it was tried. */
export class ExecutorLostError extends RemoteError {}

/** Runyard's object or package storage is gone (deleted or unmounted): the message names it and the fix. */
export class StorageLostError extends RemoteError {}

const OF_RUNYARD: Record<string, typeof RemoteError> = {
  StorageLostError,
  SessionLostError,
  SessionClosedError,
  DependencyFailedError,
  ExecutorLostError,
};

export interface RemoteErrorInfo {
  type: string;
  message: string;
  stack?: string;
}

export function remoteError(info: RemoteErrorInfo): RemoteError {
  const Type = OF_RUNYARD[info.type] ?? RemoteError;
  return new Type(info.type, info.message, info.stack);
}
