import { LOADER_TYPES } from '@runyard/loaders';
import { ENDPOINT_NAMES, RunnerToggle, RunyardConfig } from './runyard-config';
import type { RunnerProfileSchema } from './runner-profile';

/**
 * What `npm start` runs with when there is no runyard.yaml: one LOCAL profile without module loader
 * (Autosubmit found on PATH, else a stand-in: see withDemoStandIn; Runner SDK sessions in Python and
 * Node), and the v4alpha LOCAL runner with the loaders that need no site path.
 */
export function demoConfig(runners: readonly RunnerProfileSchema[]): RunyardConfig {
  const toggle = (local: boolean): RunnerToggle => ({
    ENABLED: local,
    MODULE_LOADERS: Object.fromEntries(LOADER_TYPES.map((t) => [t, { ENABLED: local && t !== 'VENV' }])) as RunnerToggle['MODULE_LOADERS'],
  });
  return {
    file: null,
    // The quick start runs the Runner SDK's examples and script runs too: a file's profiles opt in with SDK_RUNTIMES and SCRIPT_RUNTIMES.
    profiles: {
      LOCAL: {
        RUNNER_TYPE: 'LOCAL',
        MODULE_LOADER_TYPE: 'NO_MODULE',
        SDK_RUNTIMES: ['python', 'node'],
        SCRIPT_RUNTIMES: ['node', 'python', 'shell'],
      },
    },
    sshPublicKeys: [],
    endpoints: Object.fromEntries(ENDPOINT_NAMES.map((n) => [n, { ENABLED: true }])) as RunyardConfig['endpoints'],
    runners: Object.fromEntries(runners.map((r) => [r.type, toggle(r.type === 'LOCAL')])),
  };
}
