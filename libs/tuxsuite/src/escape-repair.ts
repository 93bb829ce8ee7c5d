/**
 * TuxSuite build callbacks have carried `\'` inside strings (e.g. in `git_short_log`), which JSON does
 * not allow. Turns each such invalid escape into a plain `'`; valid escapes, including `\\` followed
 * by a quote, are left alone. Run it only on text whose signature has already been verified.
 */
export function repairEscapes(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const next = text[i + 1];
    out += next === "'" ? "'" : c + next;
    i++; // the escaped character is consumed with its backslash
  }
  return out;
}
