import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { packDirectory } from './package-archive';
import { readTar } from './tar';

describe('packDirectory', () => {
  function project(): string {
    const dir = mkdtempSync(join(tmpdir(), 'runyard-pack-'));
    for (const d of ['src', 'node_modules/x', '.git', 'data', 'src/__pycache__']) mkdirSync(join(dir, d), { recursive: true });
    const files: Record<string, string> = {
      'src/main.js': 'main',
      'src/util.js': 'util',
      'app.log': 'log',
      'node_modules/x/index.js': 'dep',
      '.git/HEAD': 'ref',
      'data/big.bin': 'big',
      'src/__pycache__/m.pyc': 'pyc',
      'README.md': 'readme',
    };
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    symlinkSync('/etc/passwd', join(dir, 'link'));
    return dir;
  }

  it("packs the files but Flame's defaults, node_modules, .git, symbolic links and the user's excludes", async () => {
    const packed = await packDirectory(project(), ['*.log', 'data/']);
    expect(readTar(gunzipSync(packed.archive)).map((f) => f.path)).toEqual(['README.md', 'src/main.js', 'src/util.js']);
  });

  it('gives an unchanged directory the same hash, whatever its files’ times, and a changed one another', async () => {
    const dir = project();
    const first = await packDirectory(dir);
    utimesSync(join(dir, 'src/main.js'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect((await packDirectory(dir)).sha256).toBe(first.sha256);
    writeFileSync(join(dir, 'src/main.js'), 'main, changed');
    expect((await packDirectory(dir)).sha256).not.toBe(first.sha256);
  });
});
