import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findPostgresBinaries, preparePostgresBinaries } from './postgres-binaries';

describe('the platform package, installed without its install script', () => {
  const installed = findPostgresBinaries().packageDir;
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'runyard-pg-package-'));

  beforeAll(() => {
    // What npm unpacks: the tarball has no symlinks; static libraries are not needed to run.
    fs.cpSync(installed, copy, { recursive: true, filter: (src) => !fs.lstatSync(src).isSymbolicLink() && !src.endsWith('.a') });
    fs.chmodSync(path.join(copy, 'native', 'bin', 'postgres'), 0o644);
  });
  afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

  it('cannot run until the library links exist; then runs, and a second preparation changes nothing', () => {
    const links = JSON.parse(fs.readFileSync(path.join(copy, 'native', 'pg-symlinks.json'), 'utf8')) as { target: string }[];
    expect(links.some((l) => fs.existsSync(path.join(copy, l.target)))).toBe(false);
    const initdb = path.join(copy, 'native', 'bin', 'initdb');
    expect(() => execFileSync(initdb, ['-V'], { stdio: 'pipe' })).toThrow(/error while loading shared libraries|Library not loaded/);

    const binaries = preparePostgresBinaries(copy);
    expect(execFileSync(binaries.postgres, ['-V'], { encoding: 'utf8' })).toMatch(/^postgres \(PostgreSQL\) 18\./);
    expect(execFileSync(binaries.initdb, ['-V'], { encoding: 'utf8' })).toMatch(/^initdb \(PostgreSQL\) 18\./);
    for (const l of links) expect(fs.lstatSync(path.join(copy, l.target)).isSymbolicLink()).toBe(true);

    const before = links.map((l) => fs.readlinkSync(path.join(copy, l.target)));
    preparePostgresBinaries(copy);
    expect(links.map((l) => fs.readlinkSync(path.join(copy, l.target)))).toEqual(before);
  });

  it('names the platform when there is no build for it', () => {
    expect(() => findPostgresBinaries('linux', 'riscv64')).toThrow(/no embedded PostgreSQL build for linux-riscv64: set DATABASE_URL/);
  });
});
