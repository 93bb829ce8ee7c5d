import { AgentConfigError, agentConfig } from './src/agent-config';
import { PullAgent } from './src/pull/pull-agent';
import { AutomnRunner } from './src/push/automn-runner';

/** The runner agent: pulls work from a Runyard over HTTP (default), or serves Automn's runner protocol (push). */
async function main(): Promise<void> {
  const config = agentConfig(process.env);
  if (config.mode === 'push') await new AutomnRunner(config.push).start();
  else await new PullAgent(config.pull).start();
}

void main().catch((e: unknown) => {
  process.stderr.write(`runyard-agent: ${e instanceof AgentConfigError || e instanceof Error ? e.message : String(e)}\n`);
  process.exit(e instanceof AgentConfigError ? 2 : 1);
});
