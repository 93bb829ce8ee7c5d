/** A value handed to an Autosubmit command does not have the format Autosubmit (and Runyard) accept. */
export class CommandInputError extends Error {
  override readonly name = 'CommandInputError';

  constructor(
    /** The request field at fault, as the user named it (`expid`, `final_status`, …). */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
