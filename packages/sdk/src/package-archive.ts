import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_EXCLUDES, isExcluded } from './fnmatch';
import { TarFile, writeTar } from './tar';

/** A packed directory: a gzip tar whose bytes depend only on the files' names, contents and modes. */
export interface PackedDirectory {
  archive: Buffer;
  sha256: string;
  files: number;
}

async function collect(root: string, rel: string, patterns: readonly string[], out: TarFile[]): Promise<void> {
  const entries = (await readdir(join(root, rel))).sort();
  for (const name of entries) {
    const path = rel ? `${rel}/${name}` : name;
    if (isExcluded(path, patterns)) continue;
    // A file removed while the directory is packed is simply not in the package.
    const info = await lstat(join(root, path)).catch(() => null);
    if (!info) continue;
    if (info.isDirectory()) await collect(root, path, patterns, out);
    else if (info.isFile()) out.push({ path, mode: info.mode & 0o111 ? 0o755 : 0o644, data: await readFile(join(root, path)) });
  }
}

/** Packs `root` without Flame's default excludes and the user's (symbolic links are left out). */
export async function packDirectory(root: string, excludes: readonly string[] = []): Promise<PackedDirectory> {
  const files: TarFile[] = [];
  await collect(root, '', [...DEFAULT_EXCLUDES, ...excludes], files);
  const archive = gzipSync(writeTar(files));
  return { archive, sha256: createHash('sha256').update(archive).digest('hex'), files: files.length };
}
