import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, RunyardUnderTest } from './runyard';

/** The built CLI, as the package's `runyard` bin. */
export const CLI = join(ROOT, 'dist', 'apps', 'cli', 'main.js');

/** Runs `node dist/apps/cli/main.js …` with piped output (not a terminal), against `rt` when given. */
export function cli(
  rt: RunyardUnderTest | null,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...(rt ? { RUNYARD_URL: rt.url } : {}), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
