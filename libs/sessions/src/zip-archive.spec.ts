import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipArchive } from './zip-archive';

describe('zipArchive', () => {
  it('makes a zipapp Python runs, importing the package inside it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runyard-zip-'));
    const file = join(dir, 'app.pyz');
    writeFileSync(
      file,
      zipArchive([
        { name: '__main__.py', data: Buffer.from('from pkg.mod import answer\nprint(answer())\n') },
        { name: 'pkg/__init__.py', data: Buffer.alloc(0) },
        { name: 'pkg/mod.py', data: Buffer.from('def answer():\n    return 42\n') },
      ]),
    );
    expect(execFileSync('python3', [file]).toString()).toBe('42\n');
  });

  it('gives the same files the same bytes', () => {
    const files = [{ name: 'a.py', data: Buffer.from('x') }];
    expect(zipArchive(files).equals(zipArchive(files))).toBe(true);
  });
});
