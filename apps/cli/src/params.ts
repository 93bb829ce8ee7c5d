import type { Command } from 'commander';

/** A command-line mistake: the CLI prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {}

/** `KEY=VALUE` pairs into an object; dotted keys nest (`SSH.HOST=h` → `{SSH: {HOST: 'h'}}`); whole numbers and true/false are typed. */
export function parseParams(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param takes KEY=VALUE, not "${pair}"`);
    const path = pair.slice(0, eq).split('.');
    if (path.some((p) => p === '')) throw new UsageError(`--param has an empty key in "${pair}"`);
    const raw = pair.slice(eq + 1);
    const value: unknown = /^-?\d+$/.test(raw) ? Number(raw) : raw === 'true' ? true : raw === 'false' ? false : raw;
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next !== undefined && (typeof next !== 'object' || next === null))
        throw new UsageError(`--param ${key} is both a value and a group`);
      node = (node[key] ??= {}) as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
  return out;
}

export interface ProfileOptions {
  profile: string;
  param: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** --profile NAME and repeatable --param KEY=VALUE: what every command that runs through a profile takes. */
export const withProfileOptions = (c: Command): Command =>
  c
    .requiredOption('--profile <name>', 'the runner profile')
    .option('--param <KEY=VALUE>', 'a profile_params entry (repeatable)', collect, []);

/** The request's profile_name and profile_params (only when some were given). */
export const profileBody = (o: ProfileOptions) => {
  const params = parseParams(o.param);
  return { profile_name: o.profile, ...(Object.keys(params).length > 0 ? { profile_params: params } : {}) };
};
