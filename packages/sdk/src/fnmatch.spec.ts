import { execFileSync } from 'node:child_process';
import { DEFAULT_EXCLUDES, fnmatch, isExcluded, isPackedOut } from './fnmatch';

describe('fnmatch', () => {
  const cases: [string, string][] = [
    ['app.log', '*.log'],
    ['logs/app.log', '*.log'],
    ['data', 'data'],
    ['data/x.bin', 'data'],
    ['a.pyc', '*.py?'],
    ['b.txt', '[ab].txt'],
    ['c.txt', '[!ab].txt'],
    ['a.txt', '[!ab].txt'],
    ['x.tmp', '*.TMP'],
    ['weird(1).txt', 'weird(1).txt'],
    ['dot.in.name', 'dot?in*'],
  ];

  it.each(cases)('%s against %s answers what Python fnmatch (Flame) answers', (name, pattern) => {
    const python = execFileSync('python3', [
      '-c',
      'import fnmatch,sys; print(fnmatch.fnmatchcase(sys.argv[1], sys.argv[2]))',
      name,
      pattern,
    ])
      .toString()
      .trim();
    expect(fnmatch(name, pattern)).toBe(python === 'True');
  });
});

describe('isExcluded', () => {
  it("leaves out Flame's defaults, node_modules and .git, by path or base name", () => {
    for (const p of ['.venv', 'src/__pycache__', 'a/b/c.pyc', '.gitignore', 'node_modules', '.git']) {
      expect(isExcluded(p, DEFAULT_EXCLUDES)).toBe(true);
    }
    expect(isExcluded('src/main.py', DEFAULT_EXCLUDES)).toBe(false);
  });

  it('reads `data/` as the directory named data', () => {
    expect(isExcluded('data', ['data/'])).toBe(true);
    expect(isExcluded('sub/data', ['data/'])).toBe(true);
    expect(isExcluded('database.py', ['data/'])).toBe(false);
  });
});

describe('isPackedOut', () => {
  it('names the pattern that leaves out a file or a directory above it', () => {
    expect(isPackedOut('dist/excluded/secret.js', ['*.log', 'excluded/'])).toBe('excluded/');
    expect(isPackedOut('dist/services.js', ['*.log', 'excluded/'])).toBeUndefined();
  });
});
