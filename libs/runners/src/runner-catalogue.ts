import { AGENT_RUNNER } from './agent/agent.runner';
import { LOCAL_RUNNER } from './local.runner';
import type { RunnerDefinition } from './runner';
import { SSH_RUNNER } from './ssh/ssh.runner';

/** Every runner type of this build. Adding a runner: its file (definition + strategy) and one line here. */
export const RUNNER_CATALOGUE: readonly RunnerDefinition[] = [LOCAL_RUNNER, SSH_RUNNER, AGENT_RUNNER];
