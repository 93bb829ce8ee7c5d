/** Python's fnmatch (what Flame matches excludes with): `*` (also across `/`), `?`, `[seq]`, `[!seq]`. */
export function fnmatch(name: string, pattern: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (body.startsWith('!')) body = '^' + body.slice(1);
      else if (body.startsWith('^')) body = '\\' + body;
      re += `[${body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's').test(name);
}

/** Flame's rule: a pattern matches the path inside the package or its base name; `data/` names a directory. */
export function isExcluded(relativePath: string, patterns: readonly string[]): boolean {
  const base = relativePath.slice(relativePath.lastIndexOf('/') + 1);
  return patterns.some((p) => {
    const pattern = p.replace(/\/+$/, '');
    return pattern !== '' && (fnmatch(relativePath, pattern) || fnmatch(base, pattern));
  });
}

/** Whether the packer leaves the file out: it or one of the directories above it is excluded. */
export function isPackedOut(relativePath: string, patterns: readonly string[]): string | undefined {
  const parts = relativePath.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    const hit = patterns.find((p) => isExcluded(prefix, [p]));
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** Flame's default excludes, and what Node projects and git keep beside the code. */
export const DEFAULT_EXCLUDES: readonly string[] = ['.venv', '__pycache__', '.gitignore', '*.pyc', 'node_modules', '.git'];
