/** Domain errors; the API's one exception filter turns each into its HTTP status and error body. */
export class RunyardError extends Error {
  readonly status: number = 500;
  /** Extra fields for the error body (e.g. the run id of a command that timed out). */
  readonly extra: Record<string, unknown> = {};
}

export class BadInputError extends RunyardError {
  override readonly status = 400;
}

export class UnauthorizedError extends RunyardError {
  override readonly status = 401;
}

export class ForbiddenError extends RunyardError {
  override readonly status = 403;
}

export class DisabledError extends RunyardError {
  override readonly status = 403;
}

export class NotFoundError extends RunyardError {
  override readonly status = 404;
}

export class ConflictError extends RunyardError {
  override readonly status = 409;
  constructor(
    message: string,
    override readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class CommandFailedError extends RunyardError {
  override readonly status = 502;
  constructor(
    message: string,
    override readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class UnavailableError extends RunyardError {
  override readonly status = 503;
  constructor(
    message: string,
    override readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class CommandTimeoutError extends RunyardError {
  override readonly status = 504;
  constructor(
    message: string,
    override readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
