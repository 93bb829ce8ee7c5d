import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/runyard';

/** `npm start`'s prestart in a project of its own whose build only counts its builds. */
describe('npm start builds only what is not built yet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runyard-build-if-stale-'));
  const builds = () => readFileSync(join(dir, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;
  const prestart = () => execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: dir, encoding: 'utf8' });

  beforeAll(() => {
    for (const sub of ['scripts', 'apps', 'libs/x', 'packages/sdk/src']) mkdirSync(join(dir, sub), { recursive: true });
    copyFileSync(join(ROOT, 'scripts', 'build-if-stale.mjs'), join(dir, 'scripts', 'build-if-stale.mjs'));
    const build =
      "const fs = require('fs'); fs.mkdirSync('dist', { recursive: true }); fs.appendFileSync('builds.log', 'built\\n'); fs.writeFileSync('dist/.build-stamp', '')";
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'stale-check', private: true, scripts: { build: `node -e "${build}"` } }),
    );
    writeFileSync(join(dir, 'tsconfig.json'), '{}');
    writeFileSync(join(dir, 'libs', 'x', 'a.ts'), 'export const a = 1;\n');
    writeFileSync(join(dir, 'builds.log'), '');
  });

  it('builds when there is no build, not again while nothing changed, and again after a source changed', () => {
    expect(prestart()).toContain('no build yet: building');
    expect(builds()).toBe(1);
    expect(prestart()).toContain('build is up to date');
    expect(builds()).toBe(1);
    // An edit after the last build (both moved into the past, so the next build's stamp is the newest).
    const built = new Date(Date.now() - 10_000);
    const edited = new Date(Date.now() - 5_000);
    utimesSync(join(dir, 'dist', '.build-stamp'), built, built);
    utimesSync(join(dir, 'libs', 'x', 'a.ts'), edited, edited);
    expect(prestart()).toContain('sources changed since the last build: building');
    expect(builds()).toBe(2);
    expect(prestart()).toContain('build is up to date');
    expect(builds()).toBe(2);
  });
});
