import { decode, encodeArgs, refKeyOf } from './codec';
import { ObjectFuture, ObjectRef } from './object-future';

describe('encodeArgs', () => {
  it('sends a top-level future as its key and lists it as a dependency, without waiting for it', () => {
    const never = new Promise<void>(() => undefined);
    const future = new ObjectFuture<number>(
      'app/1/abc',
      never,
      () => never as unknown as Promise<number>,
      () => never,
    );
    const { bytes, refs } = encodeArgs([1, future, new ObjectRef('app/1/def'), { nested: 'value' }]);
    expect(refs).toEqual(['app/1/abc', 'app/1/def']);
    const args = decode<unknown[]>(bytes);
    expect(args.map(refKeyOf)).toEqual([undefined, 'app/1/abc', 'app/1/def', undefined]);
    expect(args[3]).toEqual({ nested: 'value' });
  });

  it('refuses what cannot be sent (a function) at once', () => {
    expect(() => encodeArgs([() => 1])).toThrow();
  });
});
