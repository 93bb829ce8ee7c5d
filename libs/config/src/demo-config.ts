import { ENDPOINT_NAMES, LOADER_TYPES, RunnerToggle, RunyardConfig } from './runyard-config';

/**
 * What `npm start` runs with when there is no runyard.yaml: one LOCAL profile without module loader
 * (Autosubmit found on PATH), and the v4alpha LOCAL runner with the loaders that need no site path.
 */
export function demoConfig(): RunyardConfig {
  const local: RunnerToggle = {
    ENABLED: true,
    MODULE_LOADERS: Object.fromEntries(LOADER_TYPES.map((t) => [t, { ENABLED: t !== 'VENV' }])) as RunnerToggle['MODULE_LOADERS'],
  };
  const ssh: RunnerToggle = {
    ENABLED: false,
    MODULE_LOADERS: Object.fromEntries(LOADER_TYPES.map((t) => [t, { ENABLED: false }])) as RunnerToggle['MODULE_LOADERS'],
  };
  return {
    file: null,
    profiles: { LOCAL: { RUNNER_TYPE: 'LOCAL', MODULE_LOADER_TYPE: 'NO_MODULE' } },
    sshPublicKeys: [],
    endpoints: Object.fromEntries(ENDPOINT_NAMES.map((n) => [n, { ENABLED: true }])) as RunyardConfig['endpoints'],
    runners: { LOCAL: local, SSH: ssh },
  };
}
