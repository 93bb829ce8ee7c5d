import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { RUNNER_CATALOGUE } from '../../runners/src/runner-catalogue';
import type { ProfileSsh } from '../../runners/src/ssh/ssh-profile';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigFileError, loadRunyardConfig } from './config-file.loader';
import { demoConfig } from './demo-config';

/** RUNNER_CONFIGURATION example of seed 001 (Autosubmit API runners guide), verbatim apart from indentation. */
const SEED_001_YAML = `
RUNNER_CONFIGURATION:
  PROFILES:
    MY_RUNNER_PROFILE_1: #User defined profile name
      RUNNER_TYPE: SSH # LOCAL or SSH
      MODULE_LOADER_TYPE: LMOD # CONDA, VENV, LMOD, NO_MODULE
      MODULES: autosubmit
      SSH:
        HOST: autosubmit.example.com
        PORT: 22
        USER: autosubmit_user
    MY_RUNNER_PROFILE_2_CUSTOM_USERNAME: #User defined profile name with custom username configuration for the SSH runner
      RUNNER_TYPE: SSH # LOCAL or SSH
      MODULE_LOADER_TYPE: LMOD # CONDA, VENV, LMOD, NO_MODULE
      MODULES: autosubmit
      SSH:
        HOST: autosubmit.example.com
        PORT: 22
  SSH_PUBLIC_KEYS:
    - MY-SSH-PUBLIC-KEY-1
    - MY-SSH-PUBLIC-KEY-2
  ENDPOINTS: # Enable or disable endpoints for the runner.
    SET_JOB_STATUS:
      ENABLED: True # Default is True.
    CREATE_EXPERIMENT:
      ENABLED: True # Default is True.
    RUNNER_RUN:
      ENABLED: True # Default is True.
`;

/** RUNNERS example of seed 000 (Autosubmit API v4alpha runners guide), verbatim apart from indentation. */
const SEED_000_YAML = `
RUNNERS:
    LOCAL:
        ENABLED: True # Boolean to enable the local runner. Default is False.
        MODULE_LOADERS:
            CONDA:
                ENABLED: True # Boolean to enable the Conda loader. Default is False.
            VENV:
                ENABLED: True # Boolean to enable the venv loader. Default is False.
                SAFE_ROOT_PATH: / # Optional, specify a safe root path for the venv loader
            NO_MODULE:
                ENABLED: True # Boolean to enable the no module loader. Default is False.
`;

const ALL_LOADERS_OFF = {
  NO_MODULE: { ENABLED: false },
  VENV: { ENABLED: false },
  CONDA: { ENABLED: false },
  LMOD: { ENABLED: false },
};

describe('loadRunyardConfig', () => {
  let dir: string;
  let counter = 0;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'runyard-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes `text` to a fresh file in the temp directory and returns its absolute path. */
  function configFile(text: string): string {
    const file = join(dir, `runyard-${++counter}.yaml`);
    writeFileSync(file, text);
    return file;
  }

  /** Loads `file` and returns the ConfigFileError it throws (fails the test if it does not throw). */
  function loadError(file: string, explicit = true): ConfigFileError {
    try {
      loadRunyardConfig(file, explicit, RUNNER_CATALOGUE);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigFileError);
      return e as ConfigFileError;
    }
    throw new Error(`expected ${file} to be refused`);
  }

  describe('the seed 001 example (RUNNER_CONFIGURATION)', () => {
    it('gives both profiles as written', () => {
      const file = configFile(SEED_001_YAML);
      const config = loadRunyardConfig(file, true, RUNNER_CATALOGUE);
      expect(config.profiles).toStrictEqual({
        MY_RUNNER_PROFILE_1: {
          RUNNER_TYPE: 'SSH',
          MODULE_LOADER_TYPE: 'LMOD',
          MODULES: 'autosubmit',
          SSH: { HOST: 'autosubmit.example.com', PORT: 22, USER: 'autosubmit_user' },
        },
        MY_RUNNER_PROFILE_2_CUSTOM_USERNAME: {
          RUNNER_TYPE: 'SSH',
          MODULE_LOADER_TYPE: 'LMOD',
          MODULES: 'autosubmit',
          SSH: { HOST: 'autosubmit.example.com', PORT: 22 },
        },
      });
    });

    it('gives the SSH public keys in order and remembers which file it read', () => {
      const file = configFile(SEED_001_YAML);
      const config = loadRunyardConfig(file, true, RUNNER_CATALOGUE);
      expect(config.sshPublicKeys).toEqual(['MY-SSH-PUBLIC-KEY-1', 'MY-SSH-PUBLIC-KEY-2']);
      expect(config.file).toBe(file);
    });

    it('enables the three listed endpoints and the unlisted UPDATE_EXPERIMENT_DETAILS by default', () => {
      const config = loadRunyardConfig(configFile(SEED_001_YAML), true, RUNNER_CATALOGUE);
      expect(config.endpoints).toEqual({
        SET_JOB_STATUS: { ENABLED: true },
        CREATE_EXPERIMENT: { ENABLED: true },
        RUNNER_RUN: { ENABLED: true },
        UPDATE_EXPERIMENT_DETAILS: { ENABLED: true },
      });
    });

    it('leaves the v4alpha runners disabled because it has no RUNNERS block', () => {
      const config = loadRunyardConfig(configFile(SEED_001_YAML), true, RUNNER_CATALOGUE);
      expect(config.runners).toEqual({
        LOCAL: { ENABLED: false, MODULE_LOADERS: ALL_LOADERS_OFF },
        SSH: { ENABLED: false, MODULE_LOADERS: ALL_LOADERS_OFF },
        AGENT: { ENABLED: false, MODULE_LOADERS: ALL_LOADERS_OFF },
      });
    });
  });

  describe('SSH.USER and SSH.USERNAME', () => {
    const profileWithSsh = (ssh: string) => `
RUNNER_CONFIGURATION:
  PROFILES:
    HPC:
      RUNNER_TYPE: SSH
      MODULE_LOADER_TYPE: NO_MODULE
      SSH:
${ssh}
`;

    it('accepts SSH.USERNAME (what upstream code reads) as SSH.USER', () => {
      const file = configFile(profileWithSsh('        HOST: hpc.example.org\n        USERNAME: autosubmit_user'));
      expect(loadRunyardConfig(file, true, RUNNER_CATALOGUE).profiles.HPC.SSH).toStrictEqual({
        HOST: 'hpc.example.org',
        USER: 'autosubmit_user',
      });
    });

    it('accepts USER and USERNAME together when they agree', () => {
      const file = configFile(
        profileWithSsh('        HOST: hpc.example.org\n        USER: autosubmit_user\n        USERNAME: autosubmit_user'),
      );
      expect((loadRunyardConfig(file, true, RUNNER_CATALOGUE).profiles.HPC.SSH as ProfileSsh).USER).toBe('autosubmit_user');
    });

    it('refuses USER and USERNAME that disagree, naming USERNAME', () => {
      const file = configFile(profileWithSsh('        HOST: hpc.example.org\n        USER: alice\n        USERNAME: bob'));
      const error = loadError(file);
      expect(error.key).toBe('RUNNER_CONFIGURATION.PROFILES.HPC.SSH.USERNAME');
      expect(error.message).toBe(
        `${file}: RUNNER_CONFIGURATION.PROFILES.HPC.SSH.USERNAME: USER and USERNAME are the same setting and disagree`,
      );
    });

    it('accepts a port written as a quoted string', () => {
      const file = configFile(profileWithSsh('        HOST: hpc.example.org\n        PORT: "2222"'));
      expect((loadRunyardConfig(file, true, RUNNER_CATALOGUE).profiles.HPC.SSH as ProfileSsh).PORT).toBe(2222);
    });
  });

  describe('the seed 000 example (RUNNERS)', () => {
    it('enables the LOCAL runner with CONDA, VENV (with its safe root) and NO_MODULE, but not LMOD', () => {
      const config = loadRunyardConfig(configFile(SEED_000_YAML), true, RUNNER_CATALOGUE);
      expect(config.runners.LOCAL).toStrictEqual({
        ENABLED: true,
        MODULE_LOADERS: {
          NO_MODULE: { ENABLED: true },
          VENV: { ENABLED: true, SAFE_ROOT_PATH: '/' },
          CONDA: { ENABLED: true },
          LMOD: { ENABLED: false },
        },
      });
    });

    it('leaves the SSH runner disabled', () => {
      const config = loadRunyardConfig(configFile(SEED_000_YAML), true, RUNNER_CATALOGUE);
      expect(config.runners.SSH).toEqual({ ENABLED: false, MODULE_LOADERS: ALL_LOADERS_OFF });
    });

    it('has no profiles, no keys and every endpoint enabled', () => {
      const config = loadRunyardConfig(configFile(SEED_000_YAML), true, RUNNER_CATALOGUE);
      expect(config.profiles).toEqual({});
      expect(config.sshPublicKeys).toEqual([]);
      expect(Object.values(config.endpoints).every((e) => e.ENABLED)).toBe(true);
    });
  });

  describe('defaults', () => {
    it('reads an empty file as: no profiles, all endpoints enabled, runners and loaders disabled', () => {
      const file = configFile('');
      expect(loadRunyardConfig(file, true, RUNNER_CATALOGUE)).toEqual({
        file,
        profiles: {},
        sshPublicKeys: [],
        endpoints: {
          SET_JOB_STATUS: { ENABLED: true },
          CREATE_EXPERIMENT: { ENABLED: true },
          RUNNER_RUN: { ENABLED: true },
          UPDATE_EXPERIMENT_DETAILS: { ENABLED: true },
        },
        runners: {
          LOCAL: { ENABLED: false, MODULE_LOADERS: ALL_LOADERS_OFF },
          SSH: { ENABLED: false, MODULE_LOADERS: ALL_LOADERS_OFF },
          AGENT: { ENABLED: false, MODULE_LOADERS: ALL_LOADERS_OFF },
        },
      });
    });

    it('disables only the endpoint set to False', () => {
      const file = configFile('RUNNER_CONFIGURATION:\n  ENDPOINTS:\n    CREATE_EXPERIMENT:\n      ENABLED: False\n');
      expect(loadRunyardConfig(file, true, RUNNER_CATALOGUE).endpoints).toEqual({
        SET_JOB_STATUS: { ENABLED: true },
        CREATE_EXPERIMENT: { ENABLED: false },
        RUNNER_RUN: { ENABLED: true },
        UPDATE_EXPERIMENT_DETAILS: { ENABLED: true },
      });
    });

    it('enables a runner without enabling any of its loaders', () => {
      const file = configFile('RUNNERS:\n  SSH:\n    ENABLED: true\n');
      expect(loadRunyardConfig(file, true, RUNNER_CATALOGUE).runners.SSH).toEqual({ ENABLED: true, MODULE_LOADERS: ALL_LOADERS_OFF });
    });

    it('accepts ENABLED written as a quoted "false"', () => {
      const file = configFile('RUNNERS:\n  LOCAL:\n    ENABLED: "false"\n');
      expect(loadRunyardConfig(file, true, RUNNER_CATALOGUE).runners.LOCAL.ENABLED).toBe(false);
    });

    it('upper-cases lower-case RUNNER_TYPE and MODULE_LOADER_TYPE', () => {
      const file = configFile(
        'RUNNER_CONFIGURATION:\n  PROFILES:\n    P:\n      RUNNER_TYPE: local\n      MODULE_LOADER_TYPE: conda\n      MODULES: as4\n',
      );
      expect(loadRunyardConfig(file, true, RUNNER_CATALOGUE).profiles.P).toStrictEqual({
        RUNNER_TYPE: 'LOCAL',
        MODULE_LOADER_TYPE: 'CONDA',
        MODULES: 'as4',
      });
    });

    it('keeps the admin-only profile settings', () => {
      const file = configFile(`
RUNNER_CONFIGURATION:
  PROFILES:
    P:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: LMOD
      MODULES: [autosubmit/4.1.13, netcdf]
      AUTOSUBMIT_EXECUTABLE: /opt/as/bin/autosubmit
      CONDA_EXECUTABLE: /opt/conda/bin/conda
      LMOD_INIT: /etc/profile.d/lmod.sh
      STOP_CONFIRM_ON_STDIN: True
      QUEUE_TIMEOUT: 600
`);
      expect(loadRunyardConfig(file, true, RUNNER_CATALOGUE).profiles.P).toStrictEqual({
        RUNNER_TYPE: 'LOCAL',
        MODULE_LOADER_TYPE: 'LMOD',
        MODULES: ['autosubmit/4.1.13', 'netcdf'],
        AUTOSUBMIT_EXECUTABLE: '/opt/as/bin/autosubmit',
        CONDA_EXECUTABLE: '/opt/conda/bin/conda',
        LMOD_INIT: '/etc/profile.d/lmod.sh',
        STOP_CONFIRM_ON_STDIN: true,
        QUEUE_TIMEOUT: 600,
      });
    });
    it('keeps the Runner SDK settings: which runtimes a profile runs, their interpreters, the working directory', () => {
      const file = configFile(`
RUNNER_CONFIGURATION:
  PROFILES:
    P:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SDK_RUNTIMES: [Python]
      PYTHON_EXECUTABLE: /opt/py/bin/python3
      NODE_EXECUTABLE: /opt/node/bin/node
      SDK_WORKDIR: /scratch/apps
    NONE:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SDK_RUNTIMES: []
`);
      const { profiles } = loadRunyardConfig(file, true, RUNNER_CATALOGUE);
      expect(profiles.P).toMatchObject({
        SDK_RUNTIMES: ['python'],
        PYTHON_EXECUTABLE: '/opt/py/bin/python3',
        NODE_EXECUTABLE: '/opt/node/bin/node',
        SDK_WORKDIR: '/scratch/apps',
      });
      expect(profiles.NONE.SDK_RUNTIMES).toEqual([]);
    });
  });

  describe('run policies', () => {
    it('reads TIMEOUT, QUEUE_TIMEOUT, RETRY, MAX_CONCURRENT_RUNS and SECRETS of a profile', () => {
      const file = configFile(`RUNNER_CONFIGURATION:
  PROFILES:
    NIGHTLY:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      TIMEOUT: 86400
      QUEUE_TIMEOUT: 600
      RETRY: {MAX: 2, BACKOFF: Fixed, DELAY: 60, ON: [launch_failed, LOST]}
      MAX_CONCURRENT_RUNS: 4
      SECRETS: [API_KEY]
`);
      expect(loadRunyardConfig(file, true, RUNNER_CATALOGUE).profiles.NIGHTLY).toEqual({
        RUNNER_TYPE: 'LOCAL',
        MODULE_LOADER_TYPE: 'NO_MODULE',
        TIMEOUT: 86400,
        QUEUE_TIMEOUT: 600,
        RETRY: { MAX: 2, BACKOFF: 'fixed', DELAY: 60, ON: ['launch_failed', 'lost'] },
        MAX_CONCURRENT_RUNS: 4,
        SECRETS: ['API_KEY'],
      });
    });
  });

  describe('a missing file', () => {
    it('at the default path gives the demo configuration (no file, a LOCAL profile)', () => {
      const config = loadRunyardConfig(join(dir, 'no-such-runyard.yaml'), false, RUNNER_CATALOGUE);
      expect(config.file).toBeNull();
      expect(config.profiles.LOCAL).toEqual({
        RUNNER_TYPE: 'LOCAL',
        MODULE_LOADER_TYPE: 'NO_MODULE',
        SDK_RUNTIMES: ['python', 'node'],
        SCRIPT_RUNTIMES: ['node', 'python', 'shell'],
      });
      expect(config).toEqual(demoConfig(RUNNER_CATALOGUE));
    });

    it('that the user named explicitly is refused, naming the file', () => {
      const file = join(dir, 'no-such-runyard.yaml');
      const error = loadError(file, true);
      expect(error.message).toBe(`${file}: (file): does not exist`);
      expect(error.file).toBe(file);
    });

    it('named by a relative path is reported with its absolute path', () => {
      const error = loadError('no-such-dir-for-runyard-tests/runyard.yaml', true);
      expect(error.file).toBe(resolve('no-such-dir-for-runyard-tests/runyard.yaml'));
      expect(error.message).toBe(`${resolve('no-such-dir-for-runyard-tests/runyard.yaml')}: (file): does not exist`);
    });
  });

  it('reads an existing file at the default path instead of the demo configuration', () => {
    const file = configFile(SEED_001_YAML);
    const config = loadRunyardConfig(file, false, RUNNER_CATALOGUE);
    expect(config.file).toBe(file);
    expect(Object.keys(config.profiles)).toEqual(['MY_RUNNER_PROFILE_1', 'MY_RUNNER_PROFILE_2_CUSTOM_USERNAME']);
  });

  describe('a bad file is refused with the file, the key and the reason', () => {
    const profile = (body: string) => `RUNNER_CONFIGURATION:\n  PROFILES:\n    HPC:\n${body}`;
    const runners = (body: string) => `RUNNERS:\n  LOCAL:\n${body}`;

    it.each([
      [
        'a TIMEOUT that is not seconds',
        profile('      TIMEOUT: soon\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.TIMEOUT',
        'must be seconds (1-31536000)',
      ],
      [
        'an unknown retry cause',
        profile('      RETRY: {ON: [always]}\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.RETRY.ON',
        'must be a list of launch_failed, lost, failed',
      ],
      [
        'a misspelt RETRY key',
        profile('      RETRY: {MAXIMUM: 3}\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.RETRY.MAXIMUM',
        'unknown key (known: MAX, BACKOFF, DELAY, ON)',
      ],
      [
        "Runyard's own settings as SECRETS",
        profile('      SECRETS: [DATABASE_URL]\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.SECRETS',
        "must be a list of environment variable names (not Runyard's own settings)",
      ],
      [
        'a MAX_CONCURRENT_RUNS of 0',
        profile('      MAX_CONCURRENT_RUNS: 0\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.MAX_CONCURRENT_RUNS',
        'must be a whole number of runs (1-100000)',
      ],
      [
        'an unknown profile key',
        profile('      RUNNER_TYPE: LOCAL\n      MODULE: autosubmit\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.MODULE',
        'unknown profile key',
      ],
      [
        'a RUNNER_TYPE other than LOCAL or SSH',
        profile('      RUNNER_TYPE: KUBERNETES\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.RUNNER_TYPE',
        'must be one of LOCAL, SSH, AGENT',
      ],
      [
        'an unknown MODULE_LOADER_TYPE',
        profile('      MODULE_LOADER_TYPE: SPACK\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.MODULE_LOADER_TYPE',
        'must be one of NO_MODULE, VENV, CONDA, LMOD',
      ],
      [
        'MODULES that are neither a string nor a list of strings',
        profile('      MODULES:\n        name: autosubmit\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.MODULES',
        'must be a string or a list of strings',
      ],
      ['a profile that is not a mapping', profile('      LOCAL\n'), 'RUNNER_CONFIGURATION.PROFILES.HPC', 'must be a mapping'],
      [
        'an SSH port that is not a number (YAML True would read as 1)',
        profile('      SSH:\n        HOST: hpc.example.org\n        PORT: True\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.SSH.PORT',
        'must be a port number 1-65535',
      ],
      [
        'a misspelt endpoint toggle (it would leave the endpoint enabled)',
        'RUNNER_CONFIGURATION:\n  ENDPOINTS:\n    RUNNER_RUN:\n      ENABLE: False\n',
        'RUNNER_CONFIGURATION.ENDPOINTS.RUNNER_RUN.ENABLE',
        'unknown key (known: ENABLED)',
      ],
      ['a misspelt runner toggle', runners('    ENABLE: True\n'), 'RUNNERS.LOCAL.ENABLE', 'unknown key (known: ENABLED, MODULE_LOADERS)'],
      [
        'a misspelt PROFILES block',
        'RUNNER_CONFIGURATION:\n  PROFILE:\n    HPC:\n      RUNNER_TYPE: LOCAL\n',
        'RUNNER_CONFIGURATION.PROFILE',
        'unknown key (known: PROFILES, SSH_PUBLIC_KEYS, ENDPOINTS)',
      ],
      [
        'an SSH port above 65535',
        profile('      SSH:\n        HOST: hpc.example.org\n        PORT: 70000\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.SSH.PORT',
        'must be a port number 1-65535',
      ],
      [
        'an SSH port that is not a number',
        profile('      SSH:\n        HOST: hpc.example.org\n        PORT: ssh\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.SSH.PORT',
        'must be a port number 1-65535',
      ],
      [
        'an SSH port of 0',
        profile('      SSH:\n        HOST: hpc.example.org\n        PORT: 0\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.SSH.PORT',
        'must be a port number 1-65535',
      ],
      [
        'an unknown SSH key',
        profile('      SSH:\n        HOSTNAME: hpc.example.org\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.SSH.HOSTNAME',
        'unknown SSH key (known: HOST, PORT, USER, USERNAME, IDENTITY_FILE, IDENTITY_ENV, KNOWN_HOSTS, HOST_KEY_FINGERPRINT, STRICT_HOST_KEY_CHECKING, CONNECT_TIMEOUT, KEEPALIVE_INTERVAL, RUN_DIR, MAX_CONCURRENT_RUNS)',
      ],
      [
        'an SSH host that looks like an ssh option',
        profile('      SSH:\n        HOST: -oProxyCommand=sh\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.SSH.HOST',
        'must be a host name or address',
      ],
      [
        'an SSH user with shell characters',
        profile('      SSH:\n        HOST: hpc.example.org\n        USER: "root;id"\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.SSH.USER',
        'must be a user name',
      ],
      [
        'an empty AUTOSUBMIT_EXECUTABLE',
        profile('      AUTOSUBMIT_EXECUTABLE: ""\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.AUTOSUBMIT_EXECUTABLE',
        'must be a non-empty path',
      ],
      [
        'an SDK runtime Runyard has no executor for',
        profile('      SDK_RUNTIMES: [python, ruby]\n'),
        'RUNNER_CONFIGURATION.PROFILES.HPC.SDK_RUNTIMES',
        'must be a list of node, python',
      ],
      [
        'SSH_PUBLIC_KEYS that is not a list',
        'RUNNER_CONFIGURATION:\n  SSH_PUBLIC_KEYS: ssh-ed25519 AAAA\n',
        'RUNNER_CONFIGURATION.SSH_PUBLIC_KEYS',
        'must be a list of public key lines',
      ],
      [
        'an unknown endpoint',
        'RUNNER_CONFIGURATION:\n  ENDPOINTS:\n    DELETE_EXPERIMENT:\n      ENABLED: True\n',
        'RUNNER_CONFIGURATION.ENDPOINTS.DELETE_EXPERIMENT',
        'unknown endpoint (known: SET_JOB_STATUS, CREATE_EXPERIMENT, RUNNER_RUN, UPDATE_EXPERIMENT_DETAILS)',
      ],
      [
        'an endpoint ENABLED that is not a boolean',
        'RUNNER_CONFIGURATION:\n  ENDPOINTS:\n    RUNNER_RUN:\n      ENABLED: yes\n',
        'RUNNER_CONFIGURATION.ENDPOINTS.RUNNER_RUN.ENABLED',
        'must be True or False',
      ],
      ['a runner ENABLED that is not a boolean', runners('    ENABLED: 1\n'), 'RUNNERS.LOCAL.ENABLED', 'must be True or False'],
      [
        'a loader ENABLED that is not a boolean',
        runners('    MODULE_LOADERS:\n      CONDA:\n        ENABLED: on\n'),
        'RUNNERS.LOCAL.MODULE_LOADERS.CONDA.ENABLED',
        'must be True or False',
      ],
      [
        'an unknown runner',
        'RUNNERS:\n  KUBERNETES:\n    ENABLED: True\n',
        'RUNNERS.KUBERNETES',
        'unknown runner (known: LOCAL, SSH, AGENT)',
      ],
      [
        'an unknown module loader name',
        runners('    MODULE_LOADERS:\n      SPACK:\n        ENABLED: True\n'),
        'RUNNERS.LOCAL.MODULE_LOADERS.SPACK',
        'unknown module loader (known: NO_MODULE, VENV, CONDA, LMOD)',
      ],
      [
        'a relative SAFE_ROOT_PATH',
        runners('    MODULE_LOADERS:\n      VENV:\n        ENABLED: True\n        SAFE_ROOT_PATH: venvs/\n'),
        'RUNNERS.LOCAL.MODULE_LOADERS.VENV.SAFE_ROOT_PATH',
        'must be an absolute path',
      ],
      ['a RUNNERS block that is a list', 'RUNNERS:\n  - LOCAL\n', 'RUNNERS', 'must be a mapping'],
      ['a file that is a YAML list, not a mapping', '- RUNNER_CONFIGURATION\n', '(file)', 'must be a YAML mapping'],
    ])('%s', (_what, yaml, key, reason) => {
      const file = configFile(yaml);
      const error = loadError(file);
      expect({ file: error.file, key: error.key, reason: error.reason }).toEqual({ file, key, reason });
      expect(error.message).toBe(`${file}: ${key}: ${reason}`);
    });

    it('invalid YAML, with the parser’s explanation', () => {
      const file = configFile('RUNNER_CONFIGURATION:\n  PROFILES: [unclosed\n');
      const error = loadError(file);
      expect(error.key).toBe('(file)');
      expect(error.reason).toMatch(/^is not valid YAML: \S/);
      expect(error.message.startsWith(`${file}: (file): is not valid YAML: `)).toBe(true);
    });

    it('YAML with the same key twice', () => {
      const file = configFile('RUNNERS:\n  LOCAL:\n    ENABLED: True\nRUNNERS:\n  SSH:\n    ENABLED: True\n');
      const error = loadError(file);
      expect(error.message.startsWith(`${file}: (file): is not valid YAML: `)).toBe(true);
    });

    it('the same bad file whether or not it was named explicitly', () => {
      const file = configFile(profile('      RUNNER_TYPE: KUBERNETES\n'));
      expect(loadError(file, false).message).toBe(
        `${file}: RUNNER_CONFIGURATION.PROFILES.HPC.RUNNER_TYPE: must be one of LOCAL, SSH, AGENT`,
      );
    });
  });

  it('a directory where the file should be is refused, naming it', () => {
    const path = join(dir, 'a-directory.yaml');
    mkdirSync(path);
    const error = loadError(path);
    expect(error.file).toBe(path);
    expect(error.key).toBe('(file)');
  });
});

describe('runyard.example.yaml', () => {
  it('is a valid configuration with seed 001 SSH profiles reaching their host with a key file and known_hosts', () => {
    const config = loadRunyardConfig(`${__dirname}/../../../runyard.example.yaml`, true, RUNNER_CATALOGUE);
    expect(config.profiles.MY_RUNNER_PROFILE_1.SSH).toMatchObject({
      HOST: 'autosubmit.example.com',
      PORT: 22,
      USER: 'autosubmit_user',
      IDENTITY_FILE: '/etc/runyard/id_ed25519',
      KNOWN_HOSTS: '/etc/runyard/known_hosts',
    });
    expect(config.runners.LOCAL.MODULE_LOADERS.VENV).toEqual({ ENABLED: true, SAFE_ROOT_PATH: '/opt/venvs' });
  });
});
