import { LOADER_TYPES, LoaderTypeName, Profile, ProfileSsh, RUNNER_TYPES, RunnerType, SshTarget } from './runyard-config';
import { parseSsh } from './config-file.loader';

/** A request's profile_params that Runyard refuses; answered with 400. */
export class ProfileParamsError extends Error {}

/** The settings a run uses once a profile and the request's profile_params are merged. */
export interface ResolvedProfile {
  name: string;
  runner: RunnerType;
  loader: LoaderTypeName;
  modules: string[];
  ssh?: SshTarget;
  autosubmitExecutable?: string;
  condaExecutable?: string;
  lmodInit?: string;
  stopConfirmOnStdin: boolean;
}

/** Keys a request may fill; executables and paths run by the worker are the admin's alone. */
const REQUEST_KEYS = new Set(['RUNNER_TYPE', 'MODULE_LOADER_TYPE', 'MODULES', 'SSH']);

/**
 * The upstream rule: profile_params fill only what the profile leaves unset. Runyard refuses
 * (instead of silently ignoring) a request that tries to change what the profile sets.
 */
export function resolveProfile(name: string, profile: Profile, params: unknown): ResolvedProfile {
  const merged: Profile = { ...profile, SSH: profile.SSH ? { ...profile.SSH } : undefined };
  if (params !== undefined && params !== null) {
    if (typeof params !== 'object' || Array.isArray(params)) throw new ProfileParamsError('profile_params must be an object');
    for (const [key, value] of Object.entries(params as Record<string, unknown>)) {
      if (!REQUEST_KEYS.has(key)) {
        throw new ProfileParamsError(`profile_params.${key} cannot be set by a request (allowed: ${[...REQUEST_KEYS].join(', ')})`);
      }
      if (key === 'SSH') {
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          throw new ProfileParamsError('profile_params.SSH must be an object');
        const ssh = parseSsh(
          value as Record<string, unknown>,
          'profile_params.SSH',
          (k, r) => {
            throw new ProfileParamsError(`${k} ${r}`);
          },
          false,
        );
        merged.SSH = merged.SSH ?? {};
        for (const [k, v] of Object.entries(ssh) as [keyof typeof ssh, string | number][]) {
          fill(merged.SSH as Record<string, unknown>, k, v, `SSH.${k}`, name);
        }
        continue;
      }
      fill(merged as Record<string, unknown>, key, normalize(key, value), key, name);
    }
  }
  return finish(name, merged);
}

function normalize(key: string, value: unknown): unknown {
  if (key === 'RUNNER_TYPE' || key === 'MODULE_LOADER_TYPE') {
    const allowed: readonly string[] = key === 'RUNNER_TYPE' ? RUNNER_TYPES : LOADER_TYPES;
    const v = typeof value === 'string' ? value.toUpperCase() : value;
    if (typeof v !== 'string' || !allowed.includes(v))
      throw new ProfileParamsError(`profile_params.${key} must be one of ${allowed.join(', ')}`);
    return v;
  }
  if (key === 'MODULES') {
    const ok = value === null || typeof value === 'string' || (Array.isArray(value) && value.every((m) => typeof m === 'string'));
    if (!ok) throw new ProfileParamsError('profile_params.MODULES must be a string or a list of strings');
  }
  return value;
}

function fill(target: Record<string, unknown>, key: string, value: unknown, label: string, profile: string): void {
  const current = target[key];
  const same = key === 'MODULES' ? sameModules(current, value) : JSON.stringify(current) === JSON.stringify(value);
  if (current === undefined || current === null) {
    target[key] = value;
  } else if (!same) {
    throw new ProfileParamsError(`profile ${profile} sets ${label}; a request may not change it`);
  }
}

/** `"a b"`, `["a", "b"]` and `"a  b"` name the same modules. */
function sameModules(a: unknown, b: unknown): boolean {
  const words = (v: unknown) =>
    ([] as unknown[])
      .concat(v ?? [])
      .join(' ')
      .split(/\s+/)
      .filter(Boolean)
      .join(' ');
  return words(a) === words(b);
}

function finish(name: string, p: Profile): ResolvedProfile {
  if (!p.RUNNER_TYPE) throw new ProfileParamsError(`profile ${name} has no RUNNER_TYPE and the request gives none`);
  if (!p.MODULE_LOADER_TYPE) throw new ProfileParamsError(`profile ${name} has no MODULE_LOADER_TYPE and the request gives none`);
  const modules = toModules(p.MODULES, p.MODULE_LOADER_TYPE);
  if (p.MODULE_LOADER_TYPE !== 'NO_MODULE' && modules.length === 0) {
    throw new ProfileParamsError(`profile ${name} uses ${p.MODULE_LOADER_TYPE} but no MODULES are set`);
  }
  const resolved: ResolvedProfile = {
    name,
    runner: p.RUNNER_TYPE,
    loader: p.MODULE_LOADER_TYPE,
    modules: p.MODULE_LOADER_TYPE === 'NO_MODULE' ? [] : modules,
    autosubmitExecutable: p.AUTOSUBMIT_EXECUTABLE,
    condaExecutable: p.CONDA_EXECUTABLE,
    lmodInit: p.LMOD_INIT,
    stopConfirmOnStdin: p.STOP_CONFIRM_ON_STDIN ?? false,
  };
  if (p.RUNNER_TYPE !== 'SSH' && p.SSH && Object.keys(p.SSH).length > 0) {
    throw new ProfileParamsError(`profile ${name} runs ${p.RUNNER_TYPE}: SSH settings do not apply`);
  }
  if (p.RUNNER_TYPE === 'SSH') {
    if (!p.SSH?.HOST) throw new ProfileParamsError(`profile ${name} is an SSH profile without SSH.HOST`);
    if (!p.SSH.USER) throw new ProfileParamsError(`profile ${name} is an SSH profile without SSH.USER`);
    resolved.ssh = sshTarget(p.SSH as Required<Pick<ProfileSsh, 'HOST' | 'USER'>> & ProfileSsh);
  }
  return resolved;
}

/** Lmod takes several modules in one string ("autosubmit/4.1 netcdf"); a venv path or conda env is one. */
export function toModules(modules: Profile['MODULES'], loader: LoaderTypeName): string[] {
  if (modules === undefined || modules === null) return [];
  const list = Array.isArray(modules) ? modules : loader === 'LMOD' ? modules.split(/\s+/) : [modules];
  return list.map((m) => m.trim()).filter((m) => m !== '');
}

/** Host keys are checked unless the admin explicitly turned it off; defaults as OpenSSH's where it has one. */
export function sshTarget(ssh: ProfileSsh & { HOST: string; USER: string }): SshTarget {
  return {
    host: ssh.HOST,
    port: ssh.PORT ?? 22,
    user: ssh.USER,
    identityFile: ssh.IDENTITY_FILE,
    identityEnv: ssh.IDENTITY_ENV,
    knownHostsFile: ssh.KNOWN_HOSTS,
    hostKeyFingerprint: ssh.HOST_KEY_FINGERPRINT,
    strictHostKeyChecking: ssh.STRICT_HOST_KEY_CHECKING ?? true,
    connectTimeoutMs: (ssh.CONNECT_TIMEOUT ?? 20) * 1000,
    keepaliveIntervalMs: (ssh.KEEPALIVE_INTERVAL ?? 15) * 1000,
    runRoot: ssh.RUN_DIR ?? '.runyard/runs',
  };
}
