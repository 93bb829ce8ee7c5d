import type { ObjectFuture } from './object-future';

/** An argument of a remote call: the value, or the future of another call's result (resolved on the executor). */
export type Arg<T> = T | ObjectFuture<T>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shape of any function
type AnyFunction = (...args: any[]) => any;

/** A function as a remote call: the same parameters (each may be a future), an ObjectFuture of its (awaited) result. */
export type RemoteFunction<F> = F extends (...args: infer A) => infer R
  ? (...args: { [K in keyof A]: Arg<A[K]> }) => ObjectFuture<Awaited<R>>
  : never;

/** The public methods of an instance (no leading `_`) as remote calls. */
export type RemoteMethods<I> = {
  [K in keyof I as K extends `_${string}` ? never : I[K] extends AnyFunction ? K : never]: RemoteFunction<I[K]>;
};

export interface ServiceControl {
  /** The session serving it. */
  readonly sessionId: number;
  /** Its name (Flame's session id): the `session` option's, else `{application}-{id}`. */
  readonly sessionName: string;
  /** Closes the service: pending calls are cancelled, its executors exit. */
  close(): Promise<void>;
}

/** What `rr.service(target)` answers: a function's remote twin, or a class's or instance's methods. */
export type Service<T> = (T extends abstract new (...args: never[]) => infer I
  ? RemoteMethods<I>
  : T extends AnyFunction
    ? RemoteFunction<T>
    : RemoteMethods<T>) &
  ServiceControl;
