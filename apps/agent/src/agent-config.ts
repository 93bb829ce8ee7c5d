import { resolve } from 'node:path';
import type { PullConfig } from './pull/pull-agent';
import type { AutomnRunnerConfig } from './push/automn-runner';

export class AgentConfigError extends Error {}

export type AgentConfig = { mode: 'pull'; pull: PullConfig } | { mode: 'push'; push: AutomnRunnerConfig };

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The agent's settings from its environment, checked once: every bad variable is named. Automn's
 * runner variables (AUTOMN_HOST_URL, AUTOMN_RUNNER_ID …) select push mode, Automn's protocol;
 * otherwise it is a pull agent (RUNYARD_URL, RUNYARD_AGENT_ID, RUNYARD_AGENT_SECRET).
 */
export function agentConfig(env: NodeJS.ProcessEnv): AgentConfig {
  const problems: string[] = [];
  const get = (name: string) => (env[name] === undefined || env[name]!.trim() === '' ? undefined : env[name]!.trim());
  const url = (name: string, required: boolean): string | undefined => {
    const v = get(name);
    if (v === undefined) {
      if (required) problems.push(`${name} is required`);
      return undefined;
    }
    try {
      const u = new URL(v);
      if (u.protocol === 'http:' || u.protocol === 'https:') return v;
    } catch {
      /* reported below */
    }
    // Not the value: a URL may hold a password.
    problems.push(`${name} must be an http(s) URL (its value is not repeated here)`);
    return undefined;
  };
  const int = (name: string, dflt: number | undefined, min: number, max = 2 ** 31 - 1): number | undefined => {
    const v = get(name);
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      problems.push(`${name}=${v}: must be a whole number from ${min} to ${max}`);
      return dflt;
    }
    return Number(v);
  };
  const id = (name: string, required: boolean) => {
    const v = get(name);
    if (v === undefined && required) problems.push(`${name} is required`);
    else if (v !== undefined && !AGENT_ID.test(v)) problems.push(`${name}=${v}: must be an id of letters, digits, . _ -`);
    return v;
  };
  const done = <T>(config: T): T => {
    if (problems.length > 0) throw new AgentConfigError(`Invalid environment variables:\n  ${problems.join('\n  ')}`);
    return config;
  };

  const automn = get('AUTOMN_HOST_URL') ?? get('AUTOMN_RUNNER_HOST_URL') ?? get('AUTOMN_RUNNER_ID');
  if (automn !== undefined) {
    const dataRoot = resolve(get('AUTOMN_RUNNER_DATA_DIR') ?? 'runner/data');
    const stateDir = resolve(get('AUTOMN_RUNNER_STATE_DIR') ?? resolve(dataRoot, 'state'));
    const path = get('AUTOMN_RUNNER_ENDPOINT_PATH') ?? '/api/run';
    const explicit = url('AUTOMN_RUNNER_ENDPOINT_URL', false);
    const publicUrl = url('AUTOMN_RUNNER_PUBLIC_URL', false);
    let endpointUrl: string | undefined;
    const withPath = (base: string, always: boolean) => {
      const u = new URL(base);
      if (always || u.pathname === '/' || u.pathname === '') u.pathname = path.startsWith('/') ? path : `/${path}`;
      return u.toString();
    };
    if (explicit) endpointUrl = withPath(explicit, false);
    else if (publicUrl) endpointUrl = withPath(publicUrl, true);
    const secret = get('AUTOMN_RUNNER_SECRET');
    if (secret !== undefined && secret.length < 12) problems.push('AUTOMN_RUNNER_SECRET must be at least 12 characters');
    return done({
      mode: 'push',
      push: {
        hostUrl: url('AUTOMN_HOST_URL', false) ?? url('AUTOMN_RUNNER_HOST_URL', false),
        runnerId: id('AUTOMN_RUNNER_ID', false),
        envSecret: secret,
        endpointUrl,
        port: int('AUTOMN_RUNNER_PORT', undefined, 1, 65535) ?? int('PORT', 3030, 1, 65535)!,
        // Loopback unless told otherwise: the runner executes what it is sent, so it is exposed only on purpose.
        listenHost: get('AUTOMN_RUNNER_LISTEN_HOST') ?? '127.0.0.1',
        stateFile: resolve(get('AUTOMN_RUNNER_STATE_FILE') ?? resolve(stateDir, 'runner-state.json')),
        workDir: resolve(get('AUTOMN_RUNNER_WORKDIR') ?? resolve(dataRoot, 'script_workdir')),
        heartbeatMs: int('AUTOMN_RUNNER_HEARTBEAT_MS', 60_000, 100)!,
        maxConcurrency: int('AUTOMN_RUNNER_MAX_CONCURRENCY', undefined, 1),
        localMaxConcurrency: int('AUTOMN_RUNNER_LOCAL_MAX_CONCURRENCY', undefined, 1),
        timeoutMs: int('AUTOMN_RUNNER_TIMEOUT_MS', undefined, 1),
        resetToken: get('AUTOMN_RUNNER_RESET_TOKEN'),
        statusMessage: get('AUTOMN_RUNNER_STATUS_MESSAGE') ?? 'Runner heartbeat',
        killGraceMs: int('AUTOMN_RUNNER_KILL_GRACE_MS', 10_000, 0)!,
        reattachMs: int('AUTOMN_RUNNER_REATTACH_MS', 300_000, 0)!,
      },
    });
  }
  return done({
    mode: 'pull',
    pull: {
      url: url('RUNYARD_URL', true) ?? '',
      agentId: id('RUNYARD_AGENT_ID', true) ?? '',
      secret: get('RUNYARD_AGENT_SECRET'),
      stateDir: resolve(get('RUNYARD_AGENT_STATE_DIR') ?? '.runyard-agent'),
      concurrency: int('RUNYARD_AGENT_CONCURRENCY', 4, 1, 1024)!,
      cancelGraceMs: int('RUNYARD_AGENT_CANCEL_GRACE_MS', 10_000, 0)!,
    },
  });
}
