import type { RunFile } from '@runyard/persistence';
// The file, not the configuration's index: the runner agent loads this without Nest or class-validator.
import { RUNYARD_OWN_ENV } from '../../config/src/own-env';

/** Names the runners keep for themselves in a run directory. */
export const RESERVED_RUN_FILES = ['stdout', 'stderr', 'stdin', 'exit', 'exit.tmp', 'pid', 'result.json'];

/** A plain file name in the run directory (kept here, where files are written, so a runner loads no database code). */
export const isRunFileName = (name: string): boolean =>
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) && !RESERVED_RUN_FILES.includes(name);

/**
 * What a run inherits from the environment Runyard started with: finding programs, the locale, the
 * loaders' settings (Lmod's), and the names an admin adds with RUN_ENV_ALLOW. Nothing else: not
 * Runyard's own settings, not any profile's SECRETS, not keys the host's environment happens to hold.
 */
const INHERITED = ['PATH', 'LANG', 'LANGUAGE', 'LC_*', 'TZ', 'TERM', 'MODULEPATH', 'MODULESHOME', 'LMOD_*'];

const matches = (patterns: readonly string[], name: string) =>
  patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));

/** RUN_ENV_ALLOW: names (or `PREFIX_*`) separated by commas or spaces. */
export function parseEnvAllow(text: string | undefined): string[] {
  const names = (text ?? '').split(/[\s,]+/).filter(Boolean);
  for (const n of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(n))
      throw new Error(`RUN_ENV_ALLOW: ${JSON.stringify(n)} is not a variable name or NAME_* prefix`);
  }
  return names;
}

/** The part of `hostEnv` every run gets (before its account's HOME, USER and LOGNAME, and its own variables). */
export function inheritedEnvironment(hostEnv: NodeJS.ProcessEnv, allow: readonly string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(hostEnv)) {
    if (v !== undefined && !RUNYARD_OWN_ENV.test(k) && (matches(INHERITED, k) || matches(allow, k))) env[k] = v;
  }
  return env;
}

/** Environment variable names a run may set (what `env NAME=value` and execve accept without surprises). */
export const isEnvName = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name);

/** The run's files, checked again where they are written: plain names in the run directory, never a path. */
export function runFiles(files: RunFile[] | undefined): { name: string; data: Buffer; mode: number }[] {
  return (files ?? []).map((f) => {
    if (!isRunFileName(f.name)) throw new Error(`run file name ${JSON.stringify(f.name)} is not a plain file name`);
    return { name: f.name, data: Buffer.from(f.content, 'base64'), mode: f.executable ? 0o700 : 0o600 };
  });
}

/** The run's environment as `NAME=value` arguments for `env` (remote hosts), names checked. */
export function envArguments(runEnv: Record<string, string> | undefined): string[] {
  return Object.entries(runEnv ?? {}).map(([k, v]) => {
    if (!isEnvName(k)) throw new Error(`environment variable name ${JSON.stringify(k)} is not valid`);
    return `${k}=${v}`;
  });
}
