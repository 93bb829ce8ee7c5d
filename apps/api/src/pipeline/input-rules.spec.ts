import { inputProblem, MAX_DEPTH, pathProblem, textProblem } from './input-rules';

const nested = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

describe('input rules', () => {
  it('accept ordinary bodies, emoji (surrogate pairs) included', () => {
    expect(inputProblem({ expid: 'a001', profile_params: { SSH: { HOST: 'h', PORT: 22 } }, d: 'ok 🚀', n: null }, 'body')).toBeNull();
    expect(inputProblem(nested(MAX_DEPTH - 1), 'body')).toBeNull();
  });

  it('refuse NUL and lone surrogates in values and keys, naming where', () => {
    expect(inputProblem({ profile_name: 'a\0b' }, 'body')).toBe('body.profile_name holds a NUL character');
    expect(inputProblem({ command_params: { description: '\ud800x' } }, 'body')).toBe(
      'body.command_params.description is not well-formed Unicode (a lone UTF-16 surrogate)',
    );
    expect(inputProblem({ tests: ['ok', 'x\udc00'] }, 'body')).toContain('body.tests[1]');
    expect(inputProblem({ 'k\0': 1 }, 'body')).toBe('a key of body holds a NUL character');
    expect(textProblem('\udbff\udfff')).toBeNull();
  });

  it('refuse reserved keys with their name', () => {
    expect(inputProblem(JSON.parse('{"profile_params":{"__proto__":{"x":1}}}'), 'body')).toBe(
      'body.profile_params.__proto__: the key "__proto__" is reserved',
    );
    expect(inputProblem({ a: { constructor: 1 } }, 'query')).toContain('"constructor" is reserved');
  });

  it('refuse deep nesting without recursing (100,000 levels)', () => {
    expect(inputProblem(nested(MAX_DEPTH + 1), 'body')).toMatch(/^body nests deeper than 32 levels/);
    expect(inputProblem(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)), 'body')).toMatch(/nests deeper/);
  });

  it('refuse path segments that are not UTF-8 or hold NUL', () => {
    expect(pathProblem('/api/v1/runs/12')).toBeNull();
    expect(pathProblem('/api/v1/tokens/%00')).toBe('the path segment "%00" holds a NUL character');
    expect(pathProblem('/api/v1/runs/%E0')).toContain('not percent-encoded UTF-8');
  });
});
