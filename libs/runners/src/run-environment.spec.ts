import { envArguments, inheritedEnvironment, parseEnvAllow, runFiles } from './run-environment';

describe('a run process environment', () => {
  it("passes only what finding programs, the locale and the loaders need: never Runyard's settings or other variables", () => {
    const host = {
      PATH: '/usr/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      MODULEPATH: '/m',
      LMOD_CMD: '/l',
      DATABASE_URL: 'postgres://secret',
      REDIS_URL: 'redis://x',
      RUNYARD_BOOTSTRAP_TOKEN: 't',
      TUXSUITE_TOKEN: 'tt',
      OTHER_PROFILE_SECRET: 's',
      SSH_KEY: 'k',
      FAKE_AUTOSUBMIT_LOG: '/x',
    };
    expect(inheritedEnvironment(host)).toEqual({ PATH: '/usr/bin', LANG: 'C.UTF-8', LC_ALL: 'C', MODULEPATH: '/m', LMOD_CMD: '/l' });
    // An admin may add names; Runyard's own never pass.
    expect(inheritedEnvironment(host, parseEnvAllow('FAKE_*, RUNYARD_BOOTSTRAP_TOKEN DATABASE_URL'))).toMatchObject({
      FAKE_AUTOSUBMIT_LOG: '/x',
    });
    expect(inheritedEnvironment(host, parseEnvAllow('RUNYARD_*,DATABASE_URL'))).not.toHaveProperty('DATABASE_URL');
    expect(() => parseEnvAllow('A=B')).toThrow(/RUN_ENV_ALLOW/);
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
