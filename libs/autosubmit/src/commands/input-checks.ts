import { CommandInputError } from '../command-input.error';
import { DESCRIPTION_MAX_LENGTH, isDescription, isExpid } from '../formats';

// Shown values are cut short: they are untrusted and may be long or multi-line.
const SHOWN_VALUE_MAX = 60;

/** Throws a CommandInputError naming the field unless `valid`. */
export function ensure(valid: boolean, field: string, value: unknown, expected: string): void {
  if (valid) return;
  if (value === undefined || value === null) throw new CommandInputError(field, `${field} is required`);
  throw new CommandInputError(field, `${field} ${show(value)} ${expected}`);
}

export function ensureExpid(value: unknown, field = 'expid'): string {
  ensure(isExpid(value), field, value, 'is not an Autosubmit experiment id (4 characters a-z, 0-9)');
  return value as string;
}

export function ensureDescription(value: unknown): string {
  const expected = `is not a description (1 to ${DESCRIPTION_MAX_LENGTH} characters, no NUL, not starting with "-")`;
  ensure(isDescription(value), 'description', value, expected);
  return value as string;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > SHOWN_VALUE_MAX ? `${text.slice(0, SHOWN_VALUE_MAX)}…"` : text;
}
