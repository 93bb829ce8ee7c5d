import { RunyardError } from '@runyard/runs';

/** A job token of a run that has finished (or was taken back): it no longer works. */
export class GoneError extends RunyardError {
  override readonly status = 410;
}

/** An error answer with fields of its own (Automn's `code`, the stored offsets …). */
export class AgentRouteError extends RunyardError {
  constructor(
    override readonly status: number,
    message: string,
    override readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
