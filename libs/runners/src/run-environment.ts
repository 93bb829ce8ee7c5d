import type { RunFile } from '@runyard/persistence';
// The file, not the configuration's index: the runner agent loads this without Nest or class-validator.
import { RUNYARD_OWN_ENV } from '../../config/src/own-env';

/** Names the runners keep for themselves in a run directory. */
export const RESERVED_RUN_FILES = ['stdout', 'stderr', 'stdin', 'exit', 'exit.tmp', 'pid', 'result.json'];

/** A plain file name in the run directory (kept here, where files are written, so a runner loads no database code). */
export const isRunFileName = (name: string): boolean =>
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) && !RESERVED_RUN_FILES.includes(name);

/** The environment of a run's process on this host: the host's own, without Runyard's, plus the run's. */
export function childEnvironment(hostEnv: NodeJS.ProcessEnv, runEnv: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(hostEnv)) if (!RUNYARD_OWN_ENV.test(k)) env[k] = v;
  return { ...env, ...runEnv };
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
