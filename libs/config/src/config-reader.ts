export type Plain = Record<string, unknown>;
export const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A key in the configuration file or in a request's profile_params, with the checks every part of
 * the configuration uses; each failure names the full key and the reason.
 */
export class ConfigPath {
  constructor(
    readonly key: string,
    private readonly failWith: (key: string, reason: string) => never,
  ) {}

  at(child: string): ConfigPath {
    return new ConfigPath(this.key ? `${this.key}.${child}` : child, this.failWith);
  }

  fail(reason: string): never {
    return this.failWith(this.key, reason);
  }

  mapping(v: unknown, reason = 'must be a mapping'): Plain {
    return isPlain(v) ? v : this.fail(reason);
  }

  /** A misspelt key (ENABLE for ENABLED) must not silently leave a setting at its default. */
  onlyKeys(m: Plain, allowed: readonly string[], reason = `unknown key (known: ${allowed.join(', ')})`): void {
    for (const k of Object.keys(m)) if (!allowed.includes(k)) this.at(k).fail(reason);
  }

  bool(v: unknown, dflt: boolean): boolean {
    if (v === undefined || v === null) return dflt;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
    return this.fail('must be True or False');
  }

  /** A whole number given as a YAML number or digits (YAML True must not read as 1). */
  int(v: unknown, min: number, max: number, reason: string): number {
    const n = typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)) ? Number(v) : NaN;
    return Number.isInteger(n) && n >= min && n <= max ? n : this.fail(reason);
  }

  /** One of `list`, upper-cased as the seeds write them. */
  oneOf<T extends string>(v: unknown, list: readonly T[], reason = `must be one of ${list.join(', ')}`): T {
    const s = typeof v === 'string' ? v.toUpperCase() : '';
    return isOneOf(list, s) ? s : this.fail(reason);
  }

  /** A file path the worker uses (an executable, a key, a directory). */
  path(v: unknown, reason = 'must be a path'): string {
    return typeof v === 'string' && v !== '' && !v.includes('\0') ? v : this.fail(reason);
  }
}

export const isOneOf = <T extends string>(list: readonly T[], v: unknown): v is T =>
  typeof v === 'string' && (list as readonly string[]).includes(v);
