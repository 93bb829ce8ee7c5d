/** A command-line mistake: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {}

export type OptionKind = 'boolean' | 'string' | 'list';

export interface OptionSpec {
  kind: OptionKind;
  /** One-letter alias, without the dash (`f` for `-f`). */
  short?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface ParsedArgs {
  positionals: string[];
  /** Booleans as true, strings as the last value given, lists as every value in order. */
  options: Record<string, boolean | string | string[]>;
}

/**
 * Parses argv against the options a command accepts: `--name value`, `--name=value`, `-x`,
 * repeatable list options, `--` ends the options. Unknown options and missing values are usage
 * errors.
 */
export function parseArgs(argv: readonly string[], specs: OptionSpecs): ParsedArgs {
  const positionals: string[] = [];
  const options: ParsedArgs['options'] = {};
  const byShort = new Map(Object.entries(specs).flatMap(([name, s]) => (s.short ? [[s.short, name] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      if (!(name in specs)) throw new UsageError(`unknown option --${name}`);
    } else if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      name = byShort.get(arg.slice(1));
      if (!name) throw new UsageError(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    const spec = specs[name];
    if (spec.kind === 'boolean') {
      if (inline !== undefined) {
        if (inline !== 'true' && inline !== 'false') throw new UsageError(`--${name} takes no value (or true/false)`);
        options[name] = inline === 'true';
      } else {
        options[name] = true;
      }
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    if (spec.kind === 'string') options[name] = value;
    else options[name] = [...((options[name] as string[] | undefined) ?? []), value];
  }
  return { positionals, options };
}

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
