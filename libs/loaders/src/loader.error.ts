/** A loader refused its modules or settings; the message says which and why. */
export class LoaderError extends Error {
  override readonly name = 'LoaderError';
}
