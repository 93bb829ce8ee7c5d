import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { copyPostgresBinaries, findPostgresBinaries, preparePostgresBinaries } from './postgres-binaries';
import { serverEnv } from './postgres-cluster';
import { runAs, serverAccount } from './server-account';

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
    expect(() => findPostgresBinaries(undefined, 'linux', 'riscv64')).toThrow(
      /no embedded PostgreSQL build for linux-riscv64: set DATABASE_URL/,
    );
  });

  (process.getuid?.() === 0 ? it : it.skip)("copies the programs where root's server user can run them, once per version", async () => {
    const account = await serverAccount();
    const version = (bin: string) => execFileSync(bin, ['-V'], { ...runAs(account), encoding: 'utf8', stdio: 'pipe' });
    const inPrivate = preparePostgresBinaries(copy); // mkdtemp: 0700, root's
    expect(() => version(inPrivate.postgres)).toThrow(/EACCES/);

    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'runyard-pg-copies-'));
    fs.chmodSync(parent, 0o755);
    try {
      const copied = copyPostgresBinaries(inPrivate, path.join(parent, 'cache'));
      expect(version(copied.postgres)).toMatch(/^postgres \(PostgreSQL\) 18\./);
      expect(copyPostgresBinaries(inPrivate, path.join(parent, 'cache'))).toEqual(copied);
      expect(fs.readdirSync(path.join(parent, 'cache'))).toEqual([path.basename(copied.packageDir)]);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  (process.getuid?.() === 0 ? it : it.skip)('links the libraries beside the data when the package is read-only for the user', () => {
    // What a container's non-root USER sees: node_modules installed by root.
    const readOnly = fs.mkdtempSync(path.join(os.tmpdir(), 'runyard-pg-readonly-'));
    fs.chmodSync(readOnly, 0o755);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'runyard-pg-user-'));
    try {
      fs.cpSync(installed, readOnly, { recursive: true, filter: (src) => !fs.lstatSync(src).isSymbolicLink() && !src.endsWith('.a') });
      const nobody = {
        uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })),
        gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })),
      };
      fs.chownSync(home, nobody.uid, nobody.gid);
      // This module as plain JavaScript, run by that user (jest's own process stays root).
      const source = fs.readFileSync(path.join(__dirname, 'postgres-binaries.ts'), 'utf8');
      fs.writeFileSync(
        path.join(home, 'postgres-binaries.js'),
        ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText,
      );
      const linkDir = path.join(home, 'data', 'postgres-lib');
      const script = `process.stdout.write(JSON.stringify(require(${JSON.stringify(path.join(home, 'postgres-binaries.js'))}).preparePostgresBinaries(${JSON.stringify(readOnly)}, ${JSON.stringify(linkDir)})))`;
      const binaries = JSON.parse(execFileSync(process.execPath, ['-e', script], { ...nobody, encoding: 'utf8' }));

      expect(binaries.libraryDir).toBe(linkDir);
      expect(fs.readdirSync(path.join(readOnly, 'native', 'lib')).some((f) => f === 'libpq.so.5')).toBe(false);
      for (const program of [binaries.postgres, binaries.initdb]) {
        expect(execFileSync(program, ['-V'], { ...nobody, env: serverEnv(binaries), encoding: 'utf8' })).toMatch(/\(PostgreSQL\) 18\./);
      }
    } finally {
      fs.rmSync(readOnly, { recursive: true, force: true });
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
