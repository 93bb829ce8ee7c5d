import { existsSync, readFileSync } from 'node:fs';

/** The argv of every stand-in autosubmit call so far. */
export function recordedArgv(file: string): string[][] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as string[]);
}
