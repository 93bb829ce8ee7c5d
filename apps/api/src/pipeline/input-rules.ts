/**
 * What every request's input must be before anything reads it (the body, the query, the path):
 * bounded nesting, no reserved keys, and text that Postgres can store. Checked once at the door,
 * so no route can forget it.
 */
export const MAX_DEPTH = 32;

/** Keys that mean something to JavaScript objects; class-transformer silently drops `__proto__`. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a text cannot be stored (Postgres refuses NUL in text and ill-formed UTF-16 in json), or null. */
export function textProblem(text: string): string | null {
  if (text.includes('\0')) return 'holds a NUL character';
  if (LONE_SURROGATE.test(text)) return 'is not well-formed Unicode (a lone UTF-16 surrogate)';
  return null;
}

/** The first problem of a parsed input, naming where it is (`body.profile_params.__proto__`), or null. */
export function inputProblem(value: unknown, root: string): string | null {
  // Iterative: a body nested thousands of levels deep must not exhaust the stack here either.
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return `${path} ${problem}`;
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_DEPTH) return `${root} nests deeper than ${MAX_DEPTH} levels (at ${path})`;
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((item, i) => [String(i), item]) : Object.entries(v);
    for (const [key, item] of entries) {
      if (RESERVED_KEYS.has(key)) return `${path}.${key}: the key ${JSON.stringify(key)} is reserved`;
      const keyProblem = textProblem(key);
      if (keyProblem) return `a key of ${path} ${keyProblem}`;
      stack.push({ value: item, path: Array.isArray(v) ? `${path}[${key}]` : `${path}.${key}`, depth: depth + 1 });
    }
  }
  return null;
}

/** The path's segments must decode to text too (`/api/v1/tokens/%00`, `/api/v1/runs/%E0`). */
export function pathProblem(rawPath: string): string | null {
  for (const segment of rawPath.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return `the path segment ${JSON.stringify(segment)} is not percent-encoded UTF-8`;
    }
    const problem = textProblem(decoded);
    if (problem) return `the path segment ${JSON.stringify(segment)} ${problem}`;
  }
  return null;
}
