import { ISSUED_TOKEN, ISSUED_TOKEN_START } from './api-token';

export const MASK = '[MASKED]';

/** Any of the literal values, or a token Runyard issued. */
const alternatives = (values: string[]): RegExp =>
  new RegExp([...values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), ISSUED_TOKEN.source].join('|'), 'g');

/** `ry_` + 12 + `_` + 43 characters. */
const TOKEN_LENGTH = 59;

/**
 * Replaces the run's secrets and any token Runyard issued with [MASKED] in everything the run
 * returns: its output, and its result, logs, notifications and dashboard summary (`maskText`,
 * `maskValue`). `mask` (output) is stateless: it answers how many bytes of the buffer are settled;
 * the rest (the start of what may be a secret cut by the read) is read again with the bytes that
 * follow, so a value split across two reads, or across a worker restart, is masked all the same.
 */
export class OutputMasker {
  private readonly pattern: RegExp;
  /** Secrets as the bytes they are in the output, in latin1 so a string index is a byte offset. */
  private readonly secrets: string[];
  /** The same for decoded text (a parsed result's strings). */
  private readonly textPattern: RegExp;

  constructor(secretValues: string[]) {
    const values = secretValues.filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
    this.secrets = values.map((v) => Buffer.from(v, 'utf8').toString('latin1'));
    this.pattern = alternatives(this.secrets);
    this.textPattern = alternatives(values);
  }

  /** A whole text, nothing to follow it, masked. */
  maskText(text: string): string {
    return text.replace(this.textPattern, MASK);
  }

  /**
   * A value the run returned (parsed JSON), masked in every string, key and number: a secret that
   * came back JSON-escaped (`\u0073…`) is caught once decoded, and a number that is one becomes [MASKED].
   */
  maskValue(value: unknown): unknown {
    if (typeof value === 'string') return this.maskText(value);
    if (typeof value === 'number') {
      const text = String(value);
      const masked = this.maskText(text);
      return masked === text ? value : masked;
    }
    if (Array.isArray(value)) return value.map((v) => this.maskValue(v));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.maskText(k), this.maskValue(v)]));
    }
    return value;
  }

  /** The masked bytes, and how many input bytes they settle (all of them when the stream has ended). */
  mask(data: Buffer, ended: boolean): { out: Buffer; consumed: number } {
    if (this.secrets.length === 0 && data.indexOf('ry_') === -1) {
      // Nothing to mask (the common case, megabytes at a time): no copy, only the end is looked at.
      const hold = ended ? 0 : this.heldBack(data.subarray(Math.max(0, data.length - TOKEN_LENGTH)).toString('latin1'));
      return { out: data.subarray(0, data.length - hold), consumed: data.length - hold };
    }
    const text = data.toString('latin1');
    let out = '';
    let last = 0;
    for (const m of text.matchAll(this.pattern)) {
      out += text.slice(last, m.index) + MASK;
      last = m.index + m[0].length;
    }
    let rest = text.slice(last);
    const hold = ended ? 0 : this.heldBack(rest);
    rest = rest.slice(0, rest.length - hold);
    return { out: Buffer.from(out + rest, 'latin1'), consumed: data.length - hold };
  }

  /** The longest end of `text` that the next bytes could turn into a secret or a token. */
  private heldBack(text: string): number {
    let hold = ISSUED_TOKEN_START.exec(text)?.[0].length ?? 0;
    for (const s of this.secrets) {
      for (let k = Math.min(s.length - 1, text.length); k > hold; k--) {
        if (text.endsWith(s.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    return hold;
  }
}
