/** The key of an object (`{app}/{session}/{uuid}`): what travels when a future is passed as an argument. */
export class ObjectRef {
  constructor(readonly key: string) {}
}

/**
 * A remote call's result. Awaitable (`await future`, `future.get()`); `ref()` never waits. Passed as
 * an argument of another call it is resolved on the executor: this client neither waits nor downloads.
 */
export class ObjectFuture<T> implements PromiseLike<T> {
  private value?: Promise<T>;

  /** @internal */
  constructor(
    readonly key: string,
    /** Settles once the call is stored (its sequence number known); rejects if it could not be. */
    readonly submitted: Promise<void>,
    private readonly fetch: () => Promise<T>,
    /** Settles once the call has run, without downloading a large result. */
    private readonly settle: () => Promise<void>,
  ) {
    submitted.catch(() => undefined);
  }

  ref(): ObjectRef {
    return new ObjectRef(this.key);
  }

  /** The result once the call has run (fetched once); rejects with the remote error if it failed. */
  get(): Promise<T> {
    this.value ??= this.fetch();
    return this.value;
  }

  /** Once the call has run; rejects with the remote error if it failed. A large result is not downloaded. */
  async wait(): Promise<void> {
    await (this.value ?? this.settle());
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.get().then(onfulfilled, onrejected);
  }
}
