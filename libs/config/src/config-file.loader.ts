import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { LOADER_TYPES } from '@runyard/loaders';
import { SCRIPT_LANGUAGES } from '@runyard/scripts';
import { ConfigPath, isPlain, Plain } from './config-reader';
import {
  COMMON_PROFILE_KEYS,
  ENDPOINT_NAMES,
  RETRY_CAUSES,
  LoaderToggle,
  Profile,
  RunnerToggle,
  RunyardConfig,
  SDK_RUNTIMES,
} from './runyard-config';
import type { RunnerProfileSchema } from './runner-profile';
import { demoConfig } from './demo-config';
import { RUNYARD_OWN_ENV } from './environment';

/** A configuration file Runyard refuses to start with: names the file, the key and the reason. */
export class ConfigFileError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${file}: ${key}: ${reason}`);
  }
}

/**
 * Reads RUNYARD_CONFIG. A missing file at the default path gives the demo configuration;
 * a missing file the user named explicitly is an error.
 */
export function loadRunyardConfig(path: string, explicit: boolean, runners: readonly RunnerProfileSchema[]): RunyardConfig {
  const file = resolve(path);
  if (!existsSync(file)) {
    if (explicit) throw new ConfigFileError(file, '(file)', 'does not exist');
    return demoConfig(runners);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigFileError(file, '(file)', `cannot be read: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text) ?? {};
  } catch (e) {
    throw new ConfigFileError(file, '(file)', `is not valid YAML: ${(e as Error).message}`);
  }
  if (!isPlain(doc)) throw new ConfigFileError(file, '(file)', 'must be a YAML mapping');
  return parseRunyardConfig(doc, file, runners);
}

export function parseRunyardConfig(doc: Plain, file: string, runners: readonly RunnerProfileSchema[]): RunyardConfig {
  const root = new ConfigPath('', (key, reason) => {
    throw new ConfigFileError(file, key, reason);
  });
  const rcPath = root.at('RUNNER_CONFIGURATION');
  const rc = rcPath.mapping(doc.RUNNER_CONFIGURATION ?? {});
  rcPath.onlyKeys(rc, ['PROFILES', 'SSH_PUBLIC_KEYS', 'ENDPOINTS']);

  const profiles: Record<string, Profile> = {};
  const profilesPath = rcPath.at('PROFILES');
  for (const [name, raw] of Object.entries(profilesPath.mapping(rc.PROFILES ?? {}, 'must be a mapping of profile names'))) {
    profiles[name] = parseProfile(raw, profilesPath.at(name), runners);
  }

  const keys = rc.SSH_PUBLIC_KEYS ?? [];
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
    rcPath.at('SSH_PUBLIC_KEYS').fail('must be a list of public key lines');
  }

  const endpoints = Object.fromEntries(ENDPOINT_NAMES.map((n) => [n, { ENABLED: true }])) as RunyardConfig['endpoints'];
  const endpointsPath = rcPath.at('ENDPOINTS');
  for (const [name, raw] of Object.entries(endpointsPath.mapping(rc.ENDPOINTS ?? {}))) {
    const at = endpointsPath.at(name);
    if (!(ENDPOINT_NAMES as readonly string[]).includes(name)) at.fail(`unknown endpoint (known: ${ENDPOINT_NAMES.join(', ')})`);
    const e = at.mapping(raw, 'must be a mapping with ENABLED');
    at.onlyKeys(e, ['ENABLED']);
    endpoints[name as keyof typeof endpoints] = { ENABLED: at.at('ENABLED').bool(e.ENABLED, true) };
  }

  const toggles: Record<string, RunnerToggle> = {};
  const runnersPath = root.at('RUNNERS');
  const rawRunners = runnersPath.mapping(doc.RUNNERS ?? {});
  const types = runners.map((r) => r.type);
  for (const name of Object.keys(rawRunners)) {
    if (!types.includes(name)) runnersPath.at(name).fail(`unknown runner (known: ${types.join(', ')})`);
  }
  for (const runner of runners) toggles[runner.type] = parseRunnerToggle(rawRunners[runner.type], runnersPath.at(runner.type), runner);

  return { file, profiles, sshPublicKeys: keys as string[], endpoints, runners: toggles };
}

const PATH_KEYS = [
  'AUTOSUBMIT_EXECUTABLE',
  'CONDA_EXECUTABLE',
  'LMOD_INIT',
  'PYTHON_EXECUTABLE',
  'NODE_EXECUTABLE',
  'SDK_WORKDIR',
] as const;

function parseProfile(raw: unknown, at: ConfigPath, runners: readonly RunnerProfileSchema[]): Profile {
  const p = at.mapping(raw);
  const blocks = runners.filter((r) => r.block).map((r) => r.block as string);
  at.onlyKeys(p, [...COMMON_PROFILE_KEYS, ...blocks], 'unknown profile key');
  const profile: Profile = {};
  if (p.RUNNER_TYPE !== undefined) {
    profile.RUNNER_TYPE = at.at('RUNNER_TYPE').oneOf(
      p.RUNNER_TYPE,
      runners.map((r) => r.type),
    );
  }
  if (p.MODULE_LOADER_TYPE !== undefined)
    profile.MODULE_LOADER_TYPE = at.at('MODULE_LOADER_TYPE').oneOf(p.MODULE_LOADER_TYPE, LOADER_TYPES);
  if (p.MODULES !== undefined && p.MODULES !== null) {
    const ok = typeof p.MODULES === 'string' || (Array.isArray(p.MODULES) && p.MODULES.every((m) => typeof m === 'string'));
    if (!ok) at.at('MODULES').fail('must be a string or a list of strings');
    profile.MODULES = p.MODULES as string | string[];
  }
  for (const runner of runners) {
    if (runner.block && p[runner.block] !== undefined && runner.parseBlock) {
      const blockAt = at.at(runner.block);
      profile[runner.block] = runner.parseBlock(blockAt.mapping(p[runner.block]), blockAt, 'file');
    }
  }
  for (const k of PATH_KEYS) {
    if (p[k] !== undefined) profile[k] = at.at(k).path(p[k], 'must be a non-empty path');
  }
  if (p.SDK_RUNTIMES !== undefined) profile.SDK_RUNTIMES = parseRuntimes(p.SDK_RUNTIMES, SDK_RUNTIMES, at.at('SDK_RUNTIMES'));
  if (p.SCRIPT_RUNTIMES !== undefined)
    profile.SCRIPT_RUNTIMES = parseRuntimes(p.SCRIPT_RUNTIMES, SCRIPT_LANGUAGES, at.at('SCRIPT_RUNTIMES'));
  if (p.RUN_AS !== undefined) {
    if (typeof p.RUN_AS !== 'string' || !ACCOUNT_NAME.test(p.RUN_AS)) at.at('RUN_AS').fail('must be an account name of the host');
    profile.RUN_AS = p.RUN_AS as string;
  }
  if (p.STOP_CONFIRM_ON_STDIN !== undefined)
    profile.STOP_CONFIRM_ON_STDIN = at.at('STOP_CONFIRM_ON_STDIN').bool(p.STOP_CONFIRM_ON_STDIN, false);
  if (p.QUEUE_TIMEOUT !== undefined)
    profile.QUEUE_TIMEOUT = at.at('QUEUE_TIMEOUT').int(p.QUEUE_TIMEOUT, 1, 30 * 86400, 'must be seconds (1-2592000)');
  if (p.TIMEOUT !== undefined) profile.TIMEOUT = at.at('TIMEOUT').int(p.TIMEOUT, 1, 365 * 86400, 'must be seconds (1-31536000)');
  if (p.MAX_CONCURRENT_RUNS !== undefined) {
    profile.MAX_CONCURRENT_RUNS = at
      .at('MAX_CONCURRENT_RUNS')
      .int(p.MAX_CONCURRENT_RUNS, 1, 100_000, 'must be a whole number of runs (1-100000)');
  }
  if (p.RETRY !== undefined) profile.RETRY = parseRetry(at.at('RETRY').mapping(p.RETRY), at.at('RETRY'));
  if (p.SECRETS !== undefined) {
    const names = p.SECRETS;
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || !ENV_NAME.test(n) || RUNYARD_OWN_ENV.test(n))) {
      at.at('SECRETS').fail("must be a list of environment variable names (not Runyard's own settings)");
    }
    profile.SECRETS = names as string[];
  }
  return profile;
}

function parseRuntimes<T extends string>(v: unknown, known: readonly T[], at: ConfigPath): T[] {
  const list = v === null ? [] : Array.isArray(v) ? v : [v];
  const reason = `must be a list of ${known.join(', ')}`;
  return list.map((r) =>
    typeof r === 'string' && (known as readonly string[]).includes(r.toLowerCase()) ? (r.toLowerCase() as T) : at.fail(reason),
  );
}

/** What useradd accepts (Debian's NAME_REGEX, with capitals). */
const ACCOUNT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

function parseRetry(r: Plain, at: ConfigPath): NonNullable<Profile['RETRY']> {
  at.onlyKeys(r, ['MAX', 'BACKOFF', 'DELAY', 'ON']);
  const retry: NonNullable<Profile['RETRY']> = {};
  if (r.MAX !== undefined) retry.MAX = at.at('MAX').int(r.MAX, 0, 100, 'must be a number of retries (0-100)');
  if (r.BACKOFF !== undefined) {
    const b = typeof r.BACKOFF === 'string' ? r.BACKOFF.toLowerCase() : '';
    if (b !== 'exponential' && b !== 'fixed') at.at('BACKOFF').fail('must be exponential or fixed');
    retry.BACKOFF = b as 'exponential' | 'fixed';
  }
  if (r.DELAY !== undefined) retry.DELAY = at.at('DELAY').int(r.DELAY, 0, 86400, 'must be seconds (0-86400)');
  if (r.ON !== undefined) {
    const causes: readonly string[] = RETRY_CAUSES;
    if (!Array.isArray(r.ON) || r.ON.some((c) => typeof c !== 'string' || !causes.includes(c.toLowerCase()))) {
      at.at('ON').fail(`must be a list of ${causes.join(', ')}`);
    }
    retry.ON = (r.ON as string[]).map((c) => c.toLowerCase());
  }
  return retry;
}

function parseRunnerToggle(raw: unknown, at: ConfigPath, runner: RunnerProfileSchema): RunnerToggle {
  const r = at.mapping(raw ?? {}, 'must be a mapping with ENABLED and MODULE_LOADERS');
  const toggleKeys = runner.toggleKeys ?? [];
  at.onlyKeys(r, ['ENABLED', 'MODULE_LOADERS', ...toggleKeys]);
  const loadersAt = at.at('MODULE_LOADERS');
  const rawLoaders = loadersAt.mapping(r.MODULE_LOADERS ?? {});
  for (const name of Object.keys(rawLoaders)) {
    if (!(LOADER_TYPES as readonly string[]).includes(name))
      loadersAt.at(name).fail(`unknown module loader (known: ${LOADER_TYPES.join(', ')})`);
  }
  const loaders = {} as RunnerToggle['MODULE_LOADERS'];
  for (const type of LOADER_TYPES) {
    const lat = loadersAt.at(type);
    const l = lat.mapping(rawLoaders[type] ?? {}, 'must be a mapping with ENABLED');
    lat.onlyKeys(l, type === 'VENV' ? ['ENABLED', 'SAFE_ROOT_PATH'] : ['ENABLED']);
    const toggle: LoaderToggle = { ENABLED: lat.at('ENABLED').bool(l.ENABLED, false) };
    if (l.SAFE_ROOT_PATH !== undefined) {
      const root = l.SAFE_ROOT_PATH;
      toggle.SAFE_ROOT_PATH =
        typeof root === 'string' && root.startsWith('/') ? root : lat.at('SAFE_ROOT_PATH').fail('must be an absolute path');
    }
    loaders[type] = toggle;
  }
  const toggle: RunnerToggle = { ENABLED: at.at('ENABLED').bool(r.ENABLED, false), MODULE_LOADERS: loaders };
  const defaults = Object.fromEntries(Object.entries(r).filter(([k]) => toggleKeys.includes(k)));
  if (Object.keys(defaults).length > 0 && runner.parseBlock) toggle.defaults = runner.parseBlock(defaults, at, 'file');
  return toggle;
}
