import { childEnvironment, envArguments, runFiles } from './run-environment';

describe('a run process environment', () => {
  it("never carries Runyard's own settings and credentials, and adds the run's variables", () => {
    const env = childEnvironment(
      {
        PATH: '/usr/bin',
        HOME: '/root',
        DATABASE_URL: 'postgres://secret',
        REDIS_URL: 'redis://x',
        RUNYARD_BOOTSTRAP_TOKEN: 't',
        TUXSUITE_TOKEN: 'tt',
      },
      { INPUT_JSON: '{"a":1}' },
    );
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/root', INPUT_JSON: '{"a":1}' });
  });

  it('passes remote variables as separate NAME=value arguments and refuses names that are not names', () => {
    expect(envArguments({ INPUT_JSON: "'; rm -rf / #" })).toEqual(["INPUT_JSON='; rm -rf / #"]);
    expect(() => envArguments({ 'A=B': 'x' })).toThrow(/not valid/);
    expect(() => envArguments({ '-i': 'x' })).toThrow(/not valid/);
  });

  it('writes files only under plain names in the run directory', () => {
    expect(runFiles([{ name: 'script.py', content: Buffer.from('print(1)').toString('base64') }])).toEqual([
      { name: 'script.py', data: Buffer.from('print(1)'), mode: 0o600 },
    ]);
    for (const name of ['../x', '/etc/passwd', 'a/b', 'exit', 'stdout', '.hidden', ''])
      expect(() => runFiles([{ name, content: '' }])).toThrow(/plain file name/);
  });
});
