import { CallbackFormatError, parseCallback } from './callback-payload';
import { repairEscapes } from './escape-repair';

describe('repairEscapes', () => {
  it("turns the invalid \\' escape into a plain quote", () => {
    expect(repairEscapes(String.raw`{"log":"Merge tag \'v6.7\'"}`)).toBe(`{"log":"Merge tag 'v6.7'"}`);
  });

  it('leaves valid escapes alone, including an escaped backslash before a quote', () => {
    const valid = String.raw`{"a":"x\\'y","b":"\"q\" \n \t \u00e9 \/ \\\\"}`;
    expect(repairEscapes(valid)).toBe(valid);
    expect(JSON.parse(repairEscapes(valid))).toEqual({ a: "x\\'y", b: '"q" \n \t é / \\\\' });
  });

  it("repairs \\' right after an escaped backslash", () => {
    // \\\' is an escaped backslash followed by the invalid \' escape.
    expect(JSON.parse(repairEscapes(String.raw`{"a":"\\\'"}`))).toEqual({ a: "\\'" });
  });

  it('makes the quirky build callback parse', () => {
    const quirky = String.raw`{"kind":"build","status":{"uid":"2ZITcwA6wxeKxh9cZA5HBJ6FkSj","state":"finished","git_short_log":"5e3f5b81de80 (\"Merge tag \'riscv\'\")"}}`;
    expect(() => JSON.parse(quirky)).toThrow();
    const cb = parseCallback(repairEscapes(quirky));
    expect(cb.kind).toBe('build');
    expect(cb.status.git_short_log).toBe(`5e3f5b81de80 ("Merge tag 'riscv'")`);
  });
});

describe('parseCallback', () => {
  const ok = { kind: 'test', status: { uid: '2vimuB3RRKyuJDj2Yk2YM3zvony', state: 'finished', results: { boot: 'pass' } } };

  it('parses the reference test callback and keeps unknown fields', () => {
    const cb = parseCallback(JSON.stringify({ ...ok, status: { ...ok.status, extra: 1 } }));
    expect(cb).toEqual({ kind: 'test', status: { ...ok.status, extra: 1 } });
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['an array', '[]', /must be a JSON object/],
    ['an unknown kind', JSON.stringify({ ...ok, kind: 'boot' }), /"kind" must be "build" or "test", got "boot"/],
    ['no status', JSON.stringify({ kind: 'build' }), /"status" must be an object/],
    [
      'a missing uid',
      JSON.stringify({ kind: 'build', status: { state: 'finished' } }),
      /"status.uid" must be an alphanumeric string, got nothing/,
    ],
    ['a uid with a path', JSON.stringify({ kind: 'build', status: { uid: '../x', state: 'finished' } }), /"status.uid"/],
    ['a numeric uid', JSON.stringify({ kind: 'build', status: { uid: 12, state: 'finished' } }), /got 12/],
    ['an empty state', JSON.stringify({ kind: 'build', status: { uid: 'abc', state: '' } }), /"status.state" must be a non-empty string/],
  ])('refuses %s with CallbackFormatError', (_what, text, message) => {
    expect(() => parseCallback(text)).toThrow(CallbackFormatError);
    expect(() => parseCallback(text)).toThrow(message);
  });
});
