import { parseTestResults } from './results';

describe('parseTestResults', () => {
  const file = {
    lava: { job: { result: 'pass' }, boot: { result: 'pass' }, '0_ltp-smoke': { result: 'fail' }, '1_kselftest': { result: 'skip' } },
  };

  it('strips N_ prefixes and upper-cases results', () => {
    expect(parseTestResults(file, ['ltp-smoke', 'kselftest'])).toEqual([
      { test: 'ltp-smoke', result: 'FAIL' },
      { test: 'kselftest', result: 'SKIP' },
    ]);
  });

  it('reports a requested test missing from the file as MISS', () => {
    expect(parseTestResults(file, ['ltp-smoke', 'ltp-fs'])).toEqual([
      { test: 'ltp-smoke', result: 'FAIL' },
      { test: 'ltp-fs', result: 'MISS' },
    ]);
  });

  it('reports the boot entry for a boot test, MISS without one', () => {
    expect(parseTestResults(file, [])).toEqual([{ test: 'boot', result: 'PASS' }]);
    expect(parseTestResults({ lava: { '3_boot': { result: 'fail' } } }, [])).toEqual([{ test: 'boot', result: 'FAIL' }]);
    expect(parseTestResults({ lava: {} }, [])).toEqual([{ test: 'boot', result: 'MISS' }]);
    // No lava map at all is not "nothing ran" but a file Runyard cannot read: the caller records why.
    expect(() => parseTestResults({}, [])).toThrow('no "lava" results');
  });

  it('prefers an unprefixed key and ignores entries without a result', () => {
    expect(
      parseTestResults({ lava: { '0_a': { result: 'fail' }, a: { result: 'pass' }, b: 'pass', c: { result: 7 } } }, ['a', 'b', 'c']),
    ).toEqual([
      { test: 'a', result: 'PASS' },
      { test: 'b', result: 'MISS' },
      { test: 'c', result: 'MISS' },
    ]);
  });

  it('refuses input that is not an object', () => {
    for (const bad of [null, 'x', 3, [], undefined]) expect(() => parseTestResults(bad, [])).toThrow('results.json must be a JSON object');
    expect(() => parseTestResults({ lava: [] }, [])).toThrow('"lava" must be an object');
    expect(() => parseTestResults({ tuxrun: {} }, ['ltp'])).toThrow('results.json has no "lava" results');
  });
});
