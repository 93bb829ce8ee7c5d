import { LOG_MARKER, NOTIFY_MARKER, RETURN_MARKER } from '@runyard/scripts';
import { Color, paint, Style } from './format';

const LEVEL_COLORS: Record<string, Color> = { error: 'red', warn: 'yellow', warning: 'yellow', success: 'green', debug: 'dim' };

const MARKERS = [RETURN_MARKER, LOG_MARKER, NOTIFY_MARKER];

const asObject = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

const isEmpty = (v: unknown) => v === null || v === undefined || (typeof v === 'object' && Object.keys(v as object).length === 0);

/**
 * A script's output line by line as a person reads it: Automn's stdout markers (`__SCRIPTLOG__{…}`,
 * `__SCRIPTNOTIFY__{…}`, `__SCRIPTRETURN__{…}`, which the helpers print) become `[warn] message`,
 * `[notify ops] message` and `[return] {…}` lines. As in Automn (libs/scripts script-result.ts), only
 * the first return marker counts and a payload that is not JSON stays as it was.
 */
export class AutomnLines {
  private returned = false;

  constructor(private readonly style: Style) {}

  /** The lines to print for one output line (text before a marker stays, on a line of its own). */
  render(line: string): string[] {
    const found = MARKERS.map((m) => ({ m, at: line.indexOf(m) })).filter((x) => x.at !== -1 && !(x.m === RETURN_MARKER && this.returned));
    if (found.length === 0) return [line];
    const { m, at } = found.reduce((a, b) => (b.at < a.at ? b : a));
    const payload = line.slice(at + m.length).replace(/\r$/, '');
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch {
      return [line];
    }
    const before = line.slice(0, at);
    return [...(before.trim() ? [before] : []), this.marked(m, value)];
  }

  private marked(marker: string, value: unknown): string {
    if (marker === RETURN_MARKER) {
      this.returned = true;
      return `${paint(this.style, 'bold', '[return]')} ${JSON.stringify(value ?? null)}`;
    }
    const v = asObject(value);
    const message = String(v.message ?? v.text ?? '');
    if (marker === NOTIFY_MARKER) {
      const audience = typeof v.audience === 'string' && v.audience ? ` ${v.audience}` : '';
      return `${paint(this.style, 'cyan', `[notify${audience}]`)} ${message}`;
    }
    const level = typeof v.level === 'string' && v.level.trim() ? v.level.trim().toLowerCase() : 'info';
    const color = LEVEL_COLORS[level];
    const tag = `[${level}]`;
    return `${color ? paint(this.style, color, tag) : tag} ${message}${isEmpty(v.context) ? '' : ` ${JSON.stringify(v.context)}`}`;
  }
}
