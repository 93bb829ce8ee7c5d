import { ProfileParamsError, resolveProfile as resolveWith } from './profile-params';
import { RUNNER_CATALOGUE } from '../../runners/src/runner-catalogue';
import type { SshTarget } from '../../runners/src/ssh/ssh-profile';
import { Profile } from './runyard-config';

/** Resolved with this build's runners; the target read as the SSH runner's (the profiles here are seed 001's). */
const resolveProfile = (name: string, profile: Profile, params: unknown) => {
  const resolved = resolveWith(name, profile, params, RUNNER_CATALOGUE);
  return { ...resolved, target: resolved.target as SshTarget | undefined };
};

/** The two profiles of seed 001, as the config loader returns them. */
const MY_RUNNER_PROFILE_1: Profile = {
  RUNNER_TYPE: 'SSH',
  MODULE_LOADER_TYPE: 'LMOD',
  MODULES: 'autosubmit',
  SSH: { HOST: 'autosubmit.example.com', PORT: 22, USER: 'autosubmit_user' },
};
const MY_RUNNER_PROFILE_2_CUSTOM_USERNAME: Profile = {
  RUNNER_TYPE: 'SSH',
  MODULE_LOADER_TYPE: 'LMOD',
  MODULES: 'autosubmit',
  SSH: { HOST: 'autosubmit.example.com', PORT: 22 },
};

/** Runs resolveProfile and returns the ProfileParamsError it throws (fails the test if it does not throw). */
function refusal(name: string, profile: Profile, params: unknown): ProfileParamsError {
  try {
    resolveProfile(name, profile, params);
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileParamsError);
    return e as ProfileParamsError;
  }
  throw new Error('expected resolveProfile to refuse');
}

describe('resolveProfile', () => {
  describe('the seed 001 example', () => {
    it('fills the missing SSH user of MY_RUNNER_PROFILE_2_CUSTOM_USERNAME from profile_params', () => {
      const resolved = resolveProfile('MY_RUNNER_PROFILE_2_CUSTOM_USERNAME', MY_RUNNER_PROFILE_2_CUSTOM_USERNAME, {
        SSH: { USER: 'custom_user' },
      });
      expect(resolved).toMatchObject({
        name: 'MY_RUNNER_PROFILE_2_CUSTOM_USERNAME',
        runner: 'SSH',
        loader: 'LMOD',
        modules: ['autosubmit'],
        target: { host: 'autosubmit.example.com', port: 22, user: 'custom_user' },
        stopConfirmOnStdin: false,
      });
    });

    it('accepts the user given as SSH.USERNAME', () => {
      const resolved = resolveProfile('MY_RUNNER_PROFILE_2_CUSTOM_USERNAME', MY_RUNNER_PROFILE_2_CUSTOM_USERNAME, {
        SSH: { USERNAME: 'custom_user' },
      });
      expect(resolved.target).toMatchObject({ host: 'autosubmit.example.com', port: 22, user: 'custom_user' });
    });

    it('refuses MY_RUNNER_PROFILE_2_CUSTOM_USERNAME without a user in the request', () => {
      expect(refusal('MY_RUNNER_PROFILE_2_CUSTOM_USERNAME', MY_RUNNER_PROFILE_2_CUSTOM_USERNAME, undefined).message).toBe(
        'profile MY_RUNNER_PROFILE_2_CUSTOM_USERNAME is an SSH profile without SSH.USER',
      );
    });

    it('uses MY_RUNNER_PROFILE_1 as written when the request gives no profile_params', () => {
      expect(resolveProfile('MY_RUNNER_PROFILE_1', MY_RUNNER_PROFILE_1, undefined)).toMatchObject({
        name: 'MY_RUNNER_PROFILE_1',
        runner: 'SSH',
        loader: 'LMOD',
        modules: ['autosubmit'],
        target: { host: 'autosubmit.example.com', port: 22, user: 'autosubmit_user' },
        stopConfirmOnStdin: false,
      });
    });

    it('treats profile_params: null and {} like no profile_params', () => {
      const plain = resolveProfile('MY_RUNNER_PROFILE_1', MY_RUNNER_PROFILE_1, undefined);
      expect(resolveProfile('MY_RUNNER_PROFILE_1', MY_RUNNER_PROFILE_1, null)).toEqual(plain);
      expect(resolveProfile('MY_RUNNER_PROFILE_1', MY_RUNNER_PROFILE_1, {})).toEqual(plain);
    });
  });

  describe("SSH connection settings are the admin's alone", () => {
    it.each(['IDENTITY_FILE', 'IDENTITY_ENV', 'KNOWN_HOSTS', 'HOST_KEY_FINGERPRINT', 'STRICT_HOST_KEY_CHECKING', 'RUN_DIR'])(
      'refuses profile_params.SSH.%s',
      (key) => {
        const err = refusal('MY_RUNNER_PROFILE_2_CUSTOM_USERNAME', MY_RUNNER_PROFILE_2_CUSTOM_USERNAME, {
          SSH: { USER: 'me', [key]: 'x' },
        });
        expect(err.message).toContain(`profile_params.SSH.${key} unknown SSH key (known: HOST, PORT, USER, USERNAME)`);
      },
    );

    it('checks host keys unless the profile explicitly turns it off', () => {
      const resolved = resolveProfile('MY_RUNNER_PROFILE_1', MY_RUNNER_PROFILE_1, undefined);
      expect(resolved.target).toMatchObject({ strictHostKeyChecking: true, runRoot: '.runyard/runs', connectTimeoutMs: 20000 });
    });
  });

  describe('requests that do not fit the profile', () => {
    it('refuses SSH settings for a LOCAL profile instead of dropping them', () => {
      const err = refusal('P', { RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: 'NO_MODULE' }, { SSH: { HOST: 'evil', USER: 'root' } });
      expect(err.message).toBe('profile P runs LOCAL: SSH settings do not apply');
    });

    it('refuses an SSH port given as true', () => {
      const profile: Profile = { RUNNER_TYPE: 'SSH', MODULE_LOADER_TYPE: 'NO_MODULE', SSH: { HOST: 'h', USER: 'u' } };
      expect(refusal('P', profile, { SSH: { PORT: true } }).message).toBe('profile_params.SSH.PORT must be a port number 1-65535');
    });

    it('accepts the modules the profile sets, written as a list or with other spacing', () => {
      const profile: Profile = { RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: 'LMOD', MODULES: 'autosubmit netcdf' };
      expect(resolveProfile('P', profile, { MODULES: ['autosubmit', 'netcdf'] }).modules).toEqual(['autosubmit', 'netcdf']);
      expect(resolveProfile('P', profile, { MODULES: 'autosubmit  netcdf' }).modules).toEqual(['autosubmit', 'netcdf']);
    });
  });

  describe('a request may not change what the profile sets', () => {
    it.each([
      ['SSH.USER', { SSH: { USER: 'custom_user' } }],
      ['SSH.USER', { SSH: { USERNAME: 'root' } }],
      ['SSH.HOST', { SSH: { HOST: 'elsewhere.example.com' } }],
      ['SSH.PORT', { SSH: { PORT: 2222 } }],
      ['RUNNER_TYPE', { RUNNER_TYPE: 'LOCAL' }],
      ['MODULE_LOADER_TYPE', { MODULE_LOADER_TYPE: 'CONDA' }],
      ['MODULES', { MODULES: 'autosubmit/4.0' }],
    ])('refuses a different %s, naming the profile and the key', (label, params) => {
      expect(refusal('MY_RUNNER_PROFILE_1', MY_RUNNER_PROFILE_1, params).message).toBe(
        `profile MY_RUNNER_PROFILE_1 sets ${label}; a request may not change it`,
      );
    });

    it('accepts the same values repeated, in any case', () => {
      const repeated = resolveProfile('MY_RUNNER_PROFILE_1', MY_RUNNER_PROFILE_1, {
        RUNNER_TYPE: 'ssh',
        MODULE_LOADER_TYPE: 'LMOD',
        MODULES: 'autosubmit',
        SSH: { HOST: 'autosubmit.example.com', PORT: 22, USERNAME: 'autosubmit_user' },
      });
      expect(repeated).toEqual(resolveProfile('MY_RUNNER_PROFILE_1', MY_RUNNER_PROFILE_1, undefined));
    });

    it('accepts the profile’s port repeated as a string', () => {
      expect(resolveProfile('MY_RUNNER_PROFILE_1', MY_RUNNER_PROFILE_1, { SSH: { PORT: '22' } }).target?.port).toBe(22);
    });
  });

  describe('keys a request may never set', () => {
    const local: Profile = { RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: 'NO_MODULE' };

    it.each([
      ['AUTOSUBMIT_EXECUTABLE', '/tmp/evil'],
      ['CONDA_EXECUTABLE', '/tmp/evil'],
      ['LMOD_INIT', '/tmp/evil.sh'],
      ['STOP_CONFIRM_ON_STDIN', true],
      ['SSH_PUBLIC_KEYS', ['ssh-ed25519 AAAA']],
      ['SOMETHING_ELSE', 'x'],
    ])('refuses %s even when the profile leaves it unset', (key, value) => {
      expect(refusal('LOCAL', local, { [key]: value }).message).toBe(
        `profile_params.${key} cannot be set by a request (allowed: RUNNER_TYPE, MODULE_LOADER_TYPE, MODULES, TIMEOUT, SSH, AGENT)`,
      );
    });

    it('refuses an unknown key inside SSH', () => {
      expect(
        refusal('MY_RUNNER_PROFILE_2_CUSTOM_USERNAME', MY_RUNNER_PROFILE_2_CUSTOM_USERNAME, {
          SSH: { USER: 'custom_user', IDENTITY_FILE: '/home/u/.ssh/id' },
        }).message,
      ).toBe('profile_params.SSH.IDENTITY_FILE unknown SSH key (known: HOST, PORT, USER, USERNAME)');
    });

    it('refuses a __proto__ key from a JSON body', () => {
      const params = JSON.parse('{"__proto__": {"AUTOSUBMIT_EXECUTABLE": "/tmp/evil"}}');
      expect(refusal('LOCAL', local, params).message).toBe(
        'profile_params.__proto__ cannot be set by a request (allowed: RUNNER_TYPE, MODULE_LOADER_TYPE, MODULES, TIMEOUT, SSH, AGENT)',
      );
    });
  });

  describe('bad profile_params values', () => {
    const empty: Profile = {};

    it.each([
      ['a string', 'SSH'],
      ['a list', [{ SSH: { USER: 'u' } }]],
    ])('refuses profile_params that is %s', (_what, params) => {
      expect(refusal('P', empty, params).message).toBe('profile_params must be an object');
    });

    it.each([
      [{ SSH: 'custom_user' }, 'profile_params.SSH must be an object'],
      [{ SSH: null }, 'profile_params.SSH must be an object'],
      [{ RUNNER_TYPE: 'KUBERNETES' }, 'profile_params.RUNNER_TYPE must be one of LOCAL, SSH, AGENT'],
      [{ MODULE_LOADER_TYPE: 'spack' }, 'profile_params.MODULE_LOADER_TYPE must be one of NO_MODULE, VENV, CONDA, LMOD'],
      [{ MODULE_LOADER_TYPE: 3 }, 'profile_params.MODULE_LOADER_TYPE must be one of NO_MODULE, VENV, CONDA, LMOD'],
      [{ MODULES: 42 }, 'profile_params.MODULES must be a string or a list of strings'],
      [{ MODULES: ['autosubmit', 4] }, 'profile_params.MODULES must be a string or a list of strings'],
      [{ SSH: { HOST: '-oProxyCommand=sh' } }, 'profile_params.SSH.HOST must be a host name or address'],
      [{ SSH: { USER: 'root;id' } }, 'profile_params.SSH.USER must be a user name'],
      [{ SSH: { PORT: 70000 } }, 'profile_params.SSH.PORT must be a port number 1-65535'],
      [{ SSH: { USER: 'alice', USERNAME: 'bob' } }, 'profile_params.SSH.USERNAME USER and USERNAME are the same setting and disagree'],
    ])('refuses %j', (params, message) => {
      expect(refusal('P', empty, params).message).toBe(message);
    });
  });

  describe('what must be known once profile and request are merged', () => {
    it.each([
      [{}, undefined, 'profile P has no RUNNER_TYPE and the request gives none'],
      [{ RUNNER_TYPE: 'LOCAL' }, undefined, 'profile P has no MODULE_LOADER_TYPE and the request gives none'],
      [{ RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: 'CONDA' }, undefined, 'profile P uses CONDA but no MODULES are set'],
      [{ RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: 'VENV' }, { MODULES: '' }, 'profile P uses VENV but no MODULES are set'],
      [{ RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: 'LMOD' }, { MODULES: '   ' }, 'profile P uses LMOD but no MODULES are set'],
      [{ RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: 'LMOD' }, { MODULES: [] }, 'profile P uses LMOD but no MODULES are set'],
      [{ RUNNER_TYPE: 'SSH', MODULE_LOADER_TYPE: 'NO_MODULE' }, undefined, 'profile P is an SSH profile without SSH.HOST'],
      [{ RUNNER_TYPE: 'SSH', MODULE_LOADER_TYPE: 'NO_MODULE' }, { SSH: { USER: 'u' } }, 'profile P is an SSH profile without SSH.HOST'],
      [
        { RUNNER_TYPE: 'SSH', MODULE_LOADER_TYPE: 'NO_MODULE', SSH: { HOST: 'hpc.example.org' } },
        undefined,
        'profile P is an SSH profile without SSH.USER',
      ],
    ] as [Profile, unknown, string][])('refuses profile %j with profile_params %j', (profile, params, message) => {
      expect(refusal('P', profile, params).message).toBe(message);
    });

    it('needs no MODULES for NO_MODULE and gives an empty module list', () => {
      const resolved = resolveProfile('LOCAL', { RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: 'NO_MODULE' }, undefined);
      expect(resolved).toMatchObject({ name: 'LOCAL', runner: 'LOCAL', loader: 'NO_MODULE', modules: [], stopConfirmOnStdin: false });
      expect(resolved.target).toBeUndefined();
    });

    it('ignores MODULES under NO_MODULE', () => {
      const resolved = resolveProfile('LOCAL', { RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: 'NO_MODULE', MODULES: 'autosubmit' }, undefined);
      expect(resolved.modules).toEqual([]);
    });

    it('lets a request fill every required key of an empty profile', () => {
      expect(
        resolveProfile(
          'OPEN',
          {},
          {
            RUNNER_TYPE: 'SSH',
            MODULE_LOADER_TYPE: 'CONDA',
            MODULES: 'as4',
            SSH: { HOST: 'hpc.example.org', PORT: '2222', USER: 'alice' },
          },
        ),
      ).toMatchObject({
        name: 'OPEN',
        runner: 'SSH',
        loader: 'CONDA',
        modules: ['as4'],
        target: { host: 'hpc.example.org', port: 2222, user: 'alice' },
        stopConfirmOnStdin: false,
      });
    });

    it('lets a request fill the SSH port the profile leaves unset, and defaults it to 22 otherwise', () => {
      const profile: Profile = { RUNNER_TYPE: 'SSH', MODULE_LOADER_TYPE: 'NO_MODULE', SSH: { HOST: 'h.example.org', USER: 'u' } };
      expect(resolveProfile('P', profile, { SSH: { PORT: 2200 } }).target).toMatchObject({ host: 'h.example.org', port: 2200, user: 'u' });
      expect(resolveProfile('P', profile, undefined).target).toMatchObject({ host: 'h.example.org', port: 22, user: 'u' });
    });

    it('keeps the profile’s own SSH port', () => {
      const profile: Profile = {
        RUNNER_TYPE: 'SSH',
        MODULE_LOADER_TYPE: 'NO_MODULE',
        SSH: { HOST: 'h.example.org', PORT: 2222, USER: 'u' },
      };
      expect(resolveProfile('P', profile, undefined).target?.port).toBe(2222);
    });
  });

  describe('modules', () => {
    const local = (loader: Profile['MODULE_LOADER_TYPE']): Profile => ({ RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: loader });

    it('splits an LMOD MODULES string on any whitespace into several modules', () => {
      expect(resolveProfile('P', local('LMOD'), { MODULES: '  autosubmit/4.1.13   netcdf\tcdo\n' }).modules).toEqual([
        'autosubmit/4.1.13',
        'netcdf',
        'cdo',
      ]);
    });

    it('keeps an LMOD MODULES list as given', () => {
      expect(resolveProfile('P', local('LMOD'), { MODULES: ['autosubmit/4.1.13', 'netcdf'] }).modules).toEqual([
        'autosubmit/4.1.13',
        'netcdf',
      ]);
    });

    it('keeps a VENV path whole, even with a space in it', () => {
      expect(resolveProfile('P', local('VENV'), { MODULES: '/opt/venvs/autosubmit 4.1' }).modules).toEqual(['/opt/venvs/autosubmit 4.1']);
    });

    it('keeps a CONDA environment name as one module, trimmed', () => {
      expect(resolveProfile('P', local('CONDA'), { MODULES: ' my_conda_env ' }).modules).toEqual(['my_conda_env']);
    });

    it('splits the profile’s own LMOD string too', () => {
      expect(resolveProfile('P', { ...local('LMOD'), MODULES: 'autosubmit netcdf' }, undefined).modules).toEqual(['autosubmit', 'netcdf']);
    });
  });

  describe('lower-case values', () => {
    it('normalises conda to CONDA and local to LOCAL', () => {
      const resolved = resolveProfile('P', {}, { RUNNER_TYPE: 'local', MODULE_LOADER_TYPE: 'conda', MODULES: 'as4' });
      expect(resolved.runner).toBe('LOCAL');
      expect(resolved.loader).toBe('CONDA');
    });

    it('normalises mixed case no_Module to NO_MODULE', () => {
      expect(resolveProfile('P', { RUNNER_TYPE: 'LOCAL' }, { MODULE_LOADER_TYPE: 'no_Module' }).loader).toBe('NO_MODULE');
    });
  });

  it('reads the run policies of the profile: timeout, retries, concurrency limits, secrets', () => {
    const resolved = resolveProfile(
      'P',
      {
        RUNNER_TYPE: 'SSH',
        MODULE_LOADER_TYPE: 'NO_MODULE',
        SSH: { HOST: 'hpc1', USER: 'u', MAX_CONCURRENT_RUNS: 4 },
        TIMEOUT: 3600,
        RETRY: { MAX: 1, BACKOFF: 'fixed', DELAY: 30, ON: ['lost'] },
        MAX_CONCURRENT_RUNS: 2,
        SECRETS: ['API_KEY'],
      },
      { TIMEOUT: 600 },
    );
    expect(resolved).toMatchObject({
      timeoutMs: 600_000,
      retry: { max: 1, backoff: 'fixed', delayMs: 30_000, on: ['lost'] },
      limits: [
        { key: 'profile:P', max: 2, what: 'profile P' },
        { key: 'ssh:hpc1:22', max: 4, what: 'SSH host hpc1:22' },
      ],
      secrets: ['API_KEY'],
    });
  });

  it("refuses a request for more time than the profile's TIMEOUT", () => {
    expect(() => resolveProfile('P', { RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: 'NO_MODULE', TIMEOUT: 60 }, { TIMEOUT: 61 })).toThrow(
      "profile_params.TIMEOUT must be seconds, at most the profile's 60",
    );
  });

  it('passes the admin-only settings of the profile through', () => {
    const resolved = resolveProfile(
      'P',
      {
        RUNNER_TYPE: 'LOCAL',
        MODULE_LOADER_TYPE: 'CONDA',
        MODULES: 'as4',
        AUTOSUBMIT_EXECUTABLE: '/opt/as/bin/autosubmit',
        CONDA_EXECUTABLE: '/opt/conda/bin/conda',
        LMOD_INIT: '/etc/profile.d/lmod.sh',
        STOP_CONFIRM_ON_STDIN: true,
      },
      undefined,
    );
    expect(resolved).toMatchObject({
      name: 'P',
      runner: 'LOCAL',
      loader: 'CONDA',
      modules: ['as4'],
      autosubmitExecutable: '/opt/as/bin/autosubmit',
      condaExecutable: '/opt/conda/bin/conda',
      lmodInit: '/etc/profile.d/lmod.sh',
      stopConfirmOnStdin: true,
    });
  });

  describe('the configured profile is left as it was', () => {
    it('does not write the request’s values into the profile object', () => {
      const profile = structuredClone(MY_RUNNER_PROFILE_2_CUSTOM_USERNAME);
      const before = structuredClone(profile);
      resolveProfile('MY_RUNNER_PROFILE_2_CUSTOM_USERNAME', profile, { SSH: { USER: 'custom_user' } });
      expect(profile).toStrictEqual(before);
    });

    it('does not write into a profile with no SSH block or modules', () => {
      const profile: Profile = {};
      resolveProfile('OPEN', profile, {
        RUNNER_TYPE: 'SSH',
        MODULE_LOADER_TYPE: 'LMOD',
        MODULES: ['autosubmit'],
        SSH: { HOST: 'h.example.org', USER: 'u' },
      });
      expect(profile).toStrictEqual({});
    });

    it('gives each request its own user: one request’s user does not stick to the next', () => {
      const profile = MY_RUNNER_PROFILE_2_CUSTOM_USERNAME;
      const first = resolveProfile('MY_RUNNER_PROFILE_2_CUSTOM_USERNAME', profile, { SSH: { USER: 'alice' } });
      const second = resolveProfile('MY_RUNNER_PROFILE_2_CUSTOM_USERNAME', profile, { SSH: { USER: 'bob' } });
      expect(first.target?.user).toBe('alice');
      expect(second.target?.user).toBe('bob');
    });

    it('works on a deeply frozen profile', () => {
      const profile = Object.freeze({
        ...MY_RUNNER_PROFILE_2_CUSTOM_USERNAME,
        SSH: Object.freeze({ ...(MY_RUNNER_PROFILE_2_CUSTOM_USERNAME.SSH as object) }),
      });
      expect(resolveProfile('MY_RUNNER_PROFILE_2_CUSTOM_USERNAME', profile, { SSH: { USER: 'custom_user' } }).target?.user).toBe(
        'custom_user',
      );
    });
  });
});
