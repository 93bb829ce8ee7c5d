import { parseArgs, parseParams, UsageError } from './argv';

describe('parseArgs', () => {
  const specs = {
    json: { kind: 'boolean' as const },
    follow: { kind: 'boolean' as const, short: 'f' },
    profile: { kind: 'string' as const },
    param: { kind: 'list' as const },
  };

  it('separates positionals from options, in any order', () => {
    expect(parseArgs(['a001', '--profile', 'LOCAL', '--json'], specs)).toEqual({
      positionals: ['a001'],
      options: { profile: 'LOCAL', json: true },
    });
    expect(parseArgs(['--profile=LOCAL', 'a001'], specs)).toEqual({ positionals: ['a001'], options: { profile: 'LOCAL' } });
  });

  it('takes short aliases and repeatable list options', () => {
    expect(parseArgs(['7', '-f', '--param', 'A=1', '--param=B=2'], specs)).toEqual({
      positionals: ['7'],
      options: { follow: true, param: ['A=1', 'B=2'] },
    });
  });

  it('keeps a value that starts with a dash when it is an option value, and everything after --', () => {
    expect(parseArgs(['--profile', '-weird'], specs).options.profile).toBe('-weird');
    expect(parseArgs(['--', '--json', '-f'], specs)).toEqual({ positionals: ['--json', '-f'], options: {} });
    expect(parseArgs(['-1'], specs).positionals).toEqual(['-1']);
  });

  it('accepts --flag=true/false for booleans and the last value of a repeated string', () => {
    expect(parseArgs(['--json=false', '--profile', 'A', '--profile', 'B'], specs).options).toEqual({ json: false, profile: 'B' });
  });

  it('refuses unknown options, missing values and values for booleans', () => {
    expect(() => parseArgs(['--nope'], specs)).toThrow(new UsageError('unknown option --nope'));
    expect(() => parseArgs(['-x'], specs)).toThrow(UsageError);
    expect(() => parseArgs(['--profile'], specs)).toThrow(new UsageError('--profile needs a value'));
    expect(() => parseArgs(['--json=yes'], specs)).toThrow(UsageError);
  });
});

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
