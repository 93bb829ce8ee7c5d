import { LOADER_TYPES, LoaderType } from '@runyard/loaders';
import { ConfigPath, isPlain, Plain } from './config-reader';
import { DEFAULT_RETRY, Profile, RetryCause, RetryPolicy, RunLimit } from './runyard-config';
import type { RunnerProfileSchema } from './runner-profile';

/** A request's profile_params that Runyard refuses; answered with 400. */
export class ProfileParamsError extends Error {}

/** The settings a run uses once a profile and the request's profile_params are merged. */
export interface ResolvedProfile {
  name: string;
  runner: string;
  loader: LoaderType;
  modules: string[];
  /** Where the runner sends the run (an SSH host …), as the runner's schema resolved it. */
  target?: unknown;
  autosubmitExecutable?: string;
  condaExecutable?: string;
  lmodInit?: string;
  stopConfirmOnStdin: boolean;
  queueTimeoutMs?: number;
  timeoutMs?: number;
  retry: RetryPolicy;
  limits: RunLimit[];
  /** Names of the worker's environment variables passed to the command as secrets. */
  secrets: string[];
  /** RUN_AS: the account of the runs' processes on their host. */
  runAs?: string;
  /** SCRIPT_RUNTIMES: the script languages it runs on its runner's host. */
  scriptRuntimes: string[];
}

/** Keys a request may fill besides the runners' blocks; executables and paths run by the worker are the admin's alone. */
const REQUEST_KEYS = ['RUNNER_TYPE', 'MODULE_LOADER_TYPE', 'MODULES', 'TIMEOUT'];

const requestPath = (key: string) =>
  new ConfigPath(`profile_params.${key}`, (k, r) => {
    throw new ProfileParamsError(`${k} ${r}`);
  });

/**
 * The upstream rule: profile_params fill only what the profile leaves unset. Runyard refuses
 * (instead of silently ignoring) a request that tries to change what the profile sets.
 */
export function resolveProfile(name: string, profile: Profile, params: unknown, runners: readonly RunnerProfileSchema[]): ResolvedProfile {
  const merged: Profile = { ...profile };
  const blocks = new Map(runners.filter((r) => r.block && r.parseBlock).map((r) => [r.block as string, r]));
  for (const block of blocks.keys()) if (isPlain(merged[block])) merged[block] = { ...merged[block] };
  if (params !== undefined && params !== null) {
    if (!isPlain(params)) throw new ProfileParamsError('profile_params must be an object');
    for (const [key, value] of Object.entries(params)) {
      const runner = blocks.get(key);
      if (runner) {
        if (!isPlain(value)) throw new ProfileParamsError(`profile_params.${key} must be an object`);
        const given = runner.parseBlock!(value, requestPath(key), 'request');
        const target = (merged[key] ??= {}) as Plain;
        for (const [k, v] of Object.entries(given)) fill(target, k, v, `${key}.${k}`, name);
        continue;
      }
      if (key === 'TIMEOUT') {
        // A request may ask for less time than the profile gives, never more.
        const seconds = requestPath(key).int(
          value,
          1,
          merged.TIMEOUT ?? 365 * 86400,
          `must be seconds, at most the profile's ${merged.TIMEOUT ?? 31536000}`,
        );
        merged.TIMEOUT = seconds;
        continue;
      }
      if (!REQUEST_KEYS.includes(key)) {
        const allowed = [...REQUEST_KEYS, ...blocks.keys()];
        throw new ProfileParamsError(`profile_params.${key} cannot be set by a request (allowed: ${allowed.join(', ')})`);
      }
      fill(merged as Plain, key, normalize(key, value, runners), key, name);
    }
  }
  return finish(name, merged, runners);
}

function normalize(key: string, value: unknown, runners: readonly RunnerProfileSchema[]): unknown {
  if (key === 'RUNNER_TYPE')
    return requestPath(key).oneOf(
      value,
      runners.map((r) => r.type),
    );
  if (key === 'MODULE_LOADER_TYPE') return requestPath(key).oneOf(value, LOADER_TYPES);
  const ok = value === null || typeof value === 'string' || (Array.isArray(value) && value.every((m) => typeof m === 'string'));
  if (!ok) throw new ProfileParamsError('profile_params.MODULES must be a string or a list of strings');
  return value;
}

function fill(target: Plain, key: string, value: unknown, label: string, profile: string): void {
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

function finish(name: string, p: Profile, runners: readonly RunnerProfileSchema[]): ResolvedProfile {
  if (!p.RUNNER_TYPE) throw new ProfileParamsError(`profile ${name} has no RUNNER_TYPE and the request gives none`);
  if (!p.MODULE_LOADER_TYPE) throw new ProfileParamsError(`profile ${name} has no MODULE_LOADER_TYPE and the request gives none`);
  const runner = runners.find((r) => r.type === p.RUNNER_TYPE);
  if (!runner) throw new ProfileParamsError(`profile ${name}: runner ${p.RUNNER_TYPE} is not available`);
  const modules = toModules(p.MODULES, p.MODULE_LOADER_TYPE);
  if (p.MODULE_LOADER_TYPE !== 'NO_MODULE' && modules.length === 0) {
    throw new ProfileParamsError(`profile ${name} uses ${p.MODULE_LOADER_TYPE} but no MODULES are set`);
  }
  for (const other of runners) {
    const block = other.block && other !== runner ? p[other.block] : undefined;
    if (isPlain(block) && Object.keys(block).length > 0) {
      throw new ProfileParamsError(`profile ${name} runs ${p.RUNNER_TYPE}: ${other.block} settings do not apply`);
    }
  }
  const block = runner.block ? p[runner.block] : undefined;
  const target = runner.target?.(isPlain(block) ? block : undefined, name);
  const limits: RunLimit[] = p.MAX_CONCURRENT_RUNS ? [{ key: `profile:${name}`, max: p.MAX_CONCURRENT_RUNS, what: `profile ${name}` }] : [];
  if (target !== undefined && runner.limits) limits.push(...runner.limits(target));
  return {
    name,
    runner: runner.type,
    loader: p.MODULE_LOADER_TYPE,
    modules: p.MODULE_LOADER_TYPE === 'NO_MODULE' ? [] : modules,
    target,
    autosubmitExecutable: p.AUTOSUBMIT_EXECUTABLE,
    condaExecutable: p.CONDA_EXECUTABLE,
    lmodInit: p.LMOD_INIT,
    stopConfirmOnStdin: p.STOP_CONFIRM_ON_STDIN ?? false,
    queueTimeoutMs: p.QUEUE_TIMEOUT === undefined ? undefined : p.QUEUE_TIMEOUT * 1000,
    timeoutMs: p.TIMEOUT === undefined ? undefined : p.TIMEOUT * 1000,
    retry: retryPolicy(p.RETRY),
    limits,
    secrets: p.SECRETS ?? [],
    runAs: p.RUN_AS,
    scriptRuntimes: p.SCRIPT_RUNTIMES ?? [],
  };
}

function retryPolicy(r: Profile['RETRY']): RetryPolicy {
  if (!r) return DEFAULT_RETRY;
  return {
    max: r.MAX ?? DEFAULT_RETRY.max,
    backoff: r.BACKOFF ?? DEFAULT_RETRY.backoff,
    delayMs: r.DELAY === undefined ? DEFAULT_RETRY.delayMs : r.DELAY * 1000,
    on: (r.ON as RetryCause[] | undefined) ?? DEFAULT_RETRY.on,
  };
}

/** Lmod takes several modules in one string ("autosubmit/4.1 netcdf"); a venv path or conda env is one. */
export function toModules(modules: Profile['MODULES'], loader: LoaderType): string[] {
  if (modules === undefined || modules === null) return [];
  const list = Array.isArray(modules) ? modules : loader === 'LMOD' ? modules.split(/\s+/) : [modules];
  return list.map((m) => m.trim()).filter((m) => m !== '');
}
