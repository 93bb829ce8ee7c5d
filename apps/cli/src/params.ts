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
