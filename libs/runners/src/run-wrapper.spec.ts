import { parseExitFile } from './run-wrapper';

describe('parseExitFile', () => {
  it('reads the status the wrapper wrote, once its line is complete', () => {
    expect(parseExitFile('0\n')).toBe(0);
    expect(parseExitFile('143\n')).toBe(143);
  });

  it('takes a missing, empty or half-written file for no status yet', () => {
    for (const text of [null, '', '1', '12', 'x\n', '-1\n']) expect(parseExitFile(text)).toBeNull();
  });
});
