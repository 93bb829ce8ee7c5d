import { parseParams, UsageError } from './params';

describe('parseParams', () => {
  it('builds profile_params, nesting dotted keys and typing whole numbers and booleans', () => {
    expect(parseParams(['MODULES=autosubmit', 'SSH.HOST=hpc.example.org', 'SSH.PORT=2222', 'X=true', 'Y=a=b'])).toEqual({
      MODULES: 'autosubmit',
      SSH: { HOST: 'hpc.example.org', PORT: 2222 },
      X: true,
      Y: 'a=b',
    });
    expect(parseParams([])).toEqual({});
  });

  it('refuses pairs without a key or with a key that is both a value and a group', () => {
    expect(() => parseParams(['novalue'])).toThrow(UsageError);
    expect(() => parseParams(['=x'])).toThrow(UsageError);
    expect(() => parseParams(['A..B=1'])).toThrow(UsageError);
    expect(() => parseParams(['SSH=x', 'SSH.HOST=h'])).toThrow(UsageError);
  });
});
