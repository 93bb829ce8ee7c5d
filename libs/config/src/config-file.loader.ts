import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import {
  ENDPOINT_NAMES,
  LOADER_TYPES,
  LoaderToggle,
  Profile,
  RUNNER_TYPES,
  RunnerToggle,
  RunnerType,
  RunyardConfig,
  SSH_ADMIN_KEYS,
} from './runyard-config';
import { demoConfig } from './demo-config';

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

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

const PROFILE_KEYS = new Set([
  'RUNNER_TYPE',
  'MODULE_LOADER_TYPE',
  'MODULES',
  'SSH',
  'AUTOSUBMIT_EXECUTABLE',
  'CONDA_EXECUTABLE',
  'LMOD_INIT',
  'STOP_CONFIRM_ON_STDIN',
]);

/**
 * Reads RUNYARD_CONFIG. A missing file at the default path gives the demo configuration;
 * a missing file the user named explicitly is an error.
 */
export function loadRunyardConfig(path: string, explicit: boolean): RunyardConfig {
  const file = resolve(path);
  if (!existsSync(file)) {
    if (explicit) throw new ConfigFileError(file, '(file)', 'does not exist');
    return demoConfig();
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
  return parseRunyardConfig(doc, file);
}

export function parseRunyardConfig(doc: Plain, file: string): RunyardConfig {
  const fail = (key: string, reason: string): never => {
    throw new ConfigFileError(file, key, reason);
  };
  const rc = doc.RUNNER_CONFIGURATION ?? {};
  if (!isPlain(rc)) fail('RUNNER_CONFIGURATION', 'must be a mapping');
  const rcm = rc as Plain;
  onlyKeys(rcm, ['PROFILES', 'SSH_PUBLIC_KEYS', 'ENDPOINTS'], 'RUNNER_CONFIGURATION', fail);

  const profiles: Record<string, Profile> = {};
  const rawProfiles = rcm.PROFILES ?? {};
  if (!isPlain(rawProfiles)) fail('RUNNER_CONFIGURATION.PROFILES', 'must be a mapping of profile names');
  for (const [name, raw] of Object.entries(rawProfiles as Plain)) {
    profiles[name] = parseProfile(raw, `RUNNER_CONFIGURATION.PROFILES.${name}`, fail);
  }

  const keys = rcm.SSH_PUBLIC_KEYS ?? [];
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
    fail('RUNNER_CONFIGURATION.SSH_PUBLIC_KEYS', 'must be a list of public key lines');
  }

  const endpoints = Object.fromEntries(ENDPOINT_NAMES.map((n) => [n, { ENABLED: true }])) as RunyardConfig['endpoints'];
  const rawEndpoints = rcm.ENDPOINTS ?? {};
  if (!isPlain(rawEndpoints)) fail('RUNNER_CONFIGURATION.ENDPOINTS', 'must be a mapping');
  for (const [name, raw] of Object.entries(rawEndpoints as Plain)) {
    const key = `RUNNER_CONFIGURATION.ENDPOINTS.${name}`;
    if (!(ENDPOINT_NAMES as readonly string[]).includes(name)) fail(key, `unknown endpoint (known: ${ENDPOINT_NAMES.join(', ')})`);
    if (!isPlain(raw)) fail(key, 'must be a mapping with ENABLED');
    onlyKeys(raw as Plain, ['ENABLED'], key, fail);
    endpoints[name as keyof typeof endpoints] = { ENABLED: readBool((raw as Plain).ENABLED, true, `${key}.ENABLED`, fail) };
  }

  const runners = {} as Record<RunnerType, RunnerToggle>;
  const rawRunners = doc.RUNNERS ?? {};
  if (!isPlain(rawRunners)) fail('RUNNERS', 'must be a mapping');
  for (const name of Object.keys(rawRunners as Plain)) {
    if (!(RUNNER_TYPES as readonly string[]).includes(name)) fail(`RUNNERS.${name}`, `unknown runner (known: ${RUNNER_TYPES.join(', ')})`);
  }
  for (const type of RUNNER_TYPES) {
    runners[type] = parseRunnerToggle((rawRunners as Plain)[type], `RUNNERS.${type}`, fail);
  }

  return { file, profiles, sshPublicKeys: keys as string[], endpoints, runners };
}

function parseProfile(raw: unknown, key: string, fail: (k: string, r: string) => never): Profile {
  if (!isPlain(raw)) fail(key, 'must be a mapping');
  const p = raw as Plain;
  for (const k of Object.keys(p)) if (!PROFILE_KEYS.has(k)) fail(`${key}.${k}`, 'unknown profile key');
  const profile: Profile = {};
  if (p.RUNNER_TYPE !== undefined) {
    const v = typeof p.RUNNER_TYPE === 'string' ? p.RUNNER_TYPE.toUpperCase() : '';
    if (!(RUNNER_TYPES as readonly string[]).includes(v)) fail(`${key}.RUNNER_TYPE`, `must be one of ${RUNNER_TYPES.join(', ')}`);
    profile.RUNNER_TYPE = v as Profile['RUNNER_TYPE'];
  }
  if (p.MODULE_LOADER_TYPE !== undefined) {
    const v = typeof p.MODULE_LOADER_TYPE === 'string' ? p.MODULE_LOADER_TYPE.toUpperCase() : '';
    if (!(LOADER_TYPES as readonly string[]).includes(v)) fail(`${key}.MODULE_LOADER_TYPE`, `must be one of ${LOADER_TYPES.join(', ')}`);
    profile.MODULE_LOADER_TYPE = v as Profile['MODULE_LOADER_TYPE'];
  }
  if (p.MODULES !== undefined && p.MODULES !== null) {
    const ok = typeof p.MODULES === 'string' || (Array.isArray(p.MODULES) && p.MODULES.every((m) => typeof m === 'string'));
    if (!ok) fail(`${key}.MODULES`, 'must be a string or a list of strings');
    profile.MODULES = p.MODULES as string | string[];
  }
  if (p.SSH !== undefined) {
    if (!isPlain(p.SSH)) fail(`${key}.SSH`, 'must be a mapping with HOST, PORT, USER');
    profile.SSH = parseSsh(p.SSH as Plain, `${key}.SSH`, fail);
  }
  for (const k of ['AUTOSUBMIT_EXECUTABLE', 'CONDA_EXECUTABLE', 'LMOD_INIT'] as const) {
    if (p[k] !== undefined) {
      if (typeof p[k] !== 'string' || p[k] === '') fail(`${key}.${k}`, 'must be a non-empty path');
      profile[k] = p[k] as string;
    }
  }
  if (p.STOP_CONFIRM_ON_STDIN !== undefined) {
    profile.STOP_CONFIRM_ON_STDIN = readBool(p.STOP_CONFIRM_ON_STDIN, false, `${key}.STOP_CONFIRM_ON_STDIN`, fail);
  }
  return profile;
}

/**
 * Seed 001 documents `SSH.USER`; the upstream code reads `SSH.USERNAME`: both are accepted. The
 * connection keys (identity, host key check, timeouts) are accepted only from the admin's file.
 */
export function parseSsh(s: Plain, key: string, fail: (k: string, r: string) => never, admin = true): NonNullable<Profile['SSH']> {
  const known = ['HOST', 'PORT', 'USER', 'USERNAME', ...(admin ? SSH_ADMIN_KEYS : [])];
  for (const k of Object.keys(s)) {
    if (!known.includes(k)) fail(`${key}.${k}`, `unknown SSH key (known: ${known.join(', ')})`);
  }
  if (s.USER !== undefined && s.USERNAME !== undefined && s.USER !== s.USERNAME) {
    fail(`${key}.USERNAME`, 'USER and USERNAME are the same setting and disagree');
  }
  const ssh: NonNullable<Profile['SSH']> = {};
  if (s.HOST !== undefined) {
    if (typeof s.HOST !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9.-]*$|^\[?[0-9a-fA-F:.]+\]?$/.test(s.HOST))
      fail(`${key}.HOST`, 'must be a host name or address');
    ssh.HOST = s.HOST as string;
  }
  if (s.PORT !== undefined) ssh.PORT = readInt(s.PORT, 1, 65535, `${key}.PORT`, 'must be a port number 1-65535', fail);
  const user = s.USER ?? s.USERNAME;
  if (user !== undefined) {
    if (typeof user !== 'string' || !/^[a-z_][a-z0-9_.-]*\$?$/i.test(user))
      fail(`${key}.${s.USER !== undefined ? 'USER' : 'USERNAME'}`, 'must be a user name');
    ssh.USER = user as string;
  }
  for (const k of ['IDENTITY_FILE', 'KNOWN_HOSTS', 'RUN_DIR'] as const) {
    if (s[k] !== undefined) {
      if (typeof s[k] !== 'string' || s[k] === '' || (s[k] as string).includes('\0')) fail(`${key}.${k}`, 'must be a path');
      ssh[k] = s[k] as string;
    }
  }
  if (s.IDENTITY_ENV !== undefined) {
    if (typeof s.IDENTITY_ENV !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.IDENTITY_ENV)) {
      fail(`${key}.IDENTITY_ENV`, 'must be the name of an environment variable holding the private key');
    }
    ssh.IDENTITY_ENV = s.IDENTITY_ENV as string;
  }
  if (s.IDENTITY_FILE !== undefined && s.IDENTITY_ENV !== undefined)
    fail(`${key}.IDENTITY_ENV`, 'set IDENTITY_FILE or IDENTITY_ENV, not both');
  if (s.HOST_KEY_FINGERPRINT !== undefined) {
    if (typeof s.HOST_KEY_FINGERPRINT !== 'string' || !/^SHA256:[A-Za-z0-9+/]{43}$/.test(s.HOST_KEY_FINGERPRINT)) {
      fail(`${key}.HOST_KEY_FINGERPRINT`, 'must be a SHA256:… fingerprint as `ssh-keygen -lf` prints it');
    }
    ssh.HOST_KEY_FINGERPRINT = s.HOST_KEY_FINGERPRINT as string;
  }
  if (s.STRICT_HOST_KEY_CHECKING !== undefined) {
    ssh.STRICT_HOST_KEY_CHECKING = readBool(s.STRICT_HOST_KEY_CHECKING, true, `${key}.STRICT_HOST_KEY_CHECKING`, fail);
  }
  if (s.CONNECT_TIMEOUT !== undefined)
    ssh.CONNECT_TIMEOUT = readInt(s.CONNECT_TIMEOUT, 1, 3600, `${key}.CONNECT_TIMEOUT`, 'must be seconds (1-3600)', fail);
  if (s.KEEPALIVE_INTERVAL !== undefined) {
    ssh.KEEPALIVE_INTERVAL = readInt(s.KEEPALIVE_INTERVAL, 0, 3600, `${key}.KEEPALIVE_INTERVAL`, 'must be seconds (0-3600)', fail);
  }
  return ssh;
}

/** A whole number given as a YAML number or digits (YAML True must not read as 1). */
function readInt(v: unknown, min: number, max: number, key: string, reason: string, fail: (k: string, r: string) => never): number {
  const n = typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) fail(key, reason);
  return n;
}

function parseRunnerToggle(raw: unknown, key: string, fail: (k: string, r: string) => never): RunnerToggle {
  const r = raw === undefined ? {} : raw;
  if (!isPlain(r)) fail(key, 'must be a mapping with ENABLED and MODULE_LOADERS');
  const rm = r as Plain;
  const isSsh = key === 'RUNNERS.SSH';
  onlyKeys(rm, ['ENABLED', 'MODULE_LOADERS', ...(isSsh ? SSH_ADMIN_KEYS : [])], key, fail);
  const loaders = {} as RunnerToggle['MODULE_LOADERS'];
  const rawLoaders = rm.MODULE_LOADERS ?? {};
  if (!isPlain(rawLoaders)) fail(`${key}.MODULE_LOADERS`, 'must be a mapping');
  for (const name of Object.keys(rawLoaders as Plain)) {
    if (!(LOADER_TYPES as readonly string[]).includes(name))
      fail(`${key}.MODULE_LOADERS.${name}`, `unknown module loader (known: ${LOADER_TYPES.join(', ')})`);
  }
  for (const type of LOADER_TYPES) {
    const lk = `${key}.MODULE_LOADERS.${type}`;
    const l = (rawLoaders as Plain)[type] ?? {};
    if (!isPlain(l)) fail(lk, 'must be a mapping with ENABLED');
    onlyKeys(l as Plain, type === 'VENV' ? ['ENABLED', 'SAFE_ROOT_PATH'] : ['ENABLED'], lk, fail);
    const toggle: LoaderToggle = { ENABLED: readBool((l as Plain).ENABLED, false, `${lk}.ENABLED`, fail) };
    const safeRoot = (l as Plain).SAFE_ROOT_PATH;
    if (safeRoot !== undefined) {
      if (typeof safeRoot !== 'string' || !safeRoot.startsWith('/')) fail(`${lk}.SAFE_ROOT_PATH`, 'must be an absolute path');
      toggle.SAFE_ROOT_PATH = safeRoot as string;
    }
    loaders[type] = toggle;
  }
  const toggle: RunnerToggle = { ENABLED: readBool(rm.ENABLED, false, `${key}.ENABLED`, fail), MODULE_LOADERS: loaders };
  const connection = Object.fromEntries(Object.entries(rm).filter(([k]) => (SSH_ADMIN_KEYS as readonly string[]).includes(k)));
  if (Object.keys(connection).length > 0) toggle.SSH = parseSsh(connection, key, fail);
  return toggle;
}

/** A misspelt key (ENABLE for ENABLED) must not silently leave a setting at its default. */
function onlyKeys(m: Plain, allowed: string[], key: string, fail: (k: string, r: string) => never): void {
  for (const k of Object.keys(m)) if (!allowed.includes(k)) fail(`${key}.${k}`, `unknown key (known: ${allowed.join(', ')})`);
}

function readBool(v: unknown, dflt: boolean, key: string, fail: (k: string, r: string) => never): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return fail(key, 'must be True or False');
}
