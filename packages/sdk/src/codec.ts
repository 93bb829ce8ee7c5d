import { deserialize, serialize } from 'node:v8';
import { ObjectFuture, ObjectRef } from './object-future';

/** How a top-level argument that is another call's result travels: the executor puts the value in its place. */
export const REF_MARK = '$runyard_ref';

export const encode = (value: unknown): Buffer => serialize(value);
export const decode = <T>(bytes: Buffer): T => deserialize(bytes) as T;

/** The arguments with futures replaced by their keys, and the keys the call waits for. */
export function encodeArgs(args: readonly unknown[]): { bytes: Buffer; refs: string[]; futures: ObjectFuture<unknown>[] } {
  const refs: string[] = [];
  const futures: ObjectFuture<unknown>[] = [];
  const marked = args.map((a) => {
    if (a instanceof ObjectFuture) futures.push(a);
    if (a instanceof ObjectFuture || a instanceof ObjectRef) {
      refs.push(a.key);
      return { [REF_MARK]: a.key };
    }
    return a;
  });
  return { bytes: encode(marked), refs, futures };
}

export const refKeyOf = (v: unknown): string | undefined =>
  typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)[REF_MARK] === 'string'
    ? ((v as Record<string, unknown>)[REF_MARK] as string)
    : undefined;
