import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { UnavailableError } from '@runyard/runs';
import { TooLargeError } from './sdk-errors';

/**
 * A storage directory or file that is not there: 503 with `storage` (package | object) in the body, so an
 * executor fails at once with the fix instead of retrying as it does while Runyard restarts.
 */
export class StorageGoneError extends UnavailableError {
  constructor(what: string, message: string) {
    super(message, { storage: what });
  }
}

/** A storage root: a file:// URL the admin configured (it must exist), or Runyard's own directory (made when missing). */
export class StorageRoot {
  readonly dir: string;
  private readonly configured: boolean;

  constructor(
    private readonly what: string,
    private readonly variable: string,
    configured: string | undefined,
    fallback: string,
  ) {
    this.configured = configured !== undefined;
    this.dir = configured ? fileURLToPath(configured) : resolve(fallback);
  }

  /** The root, checked: a configured one that is missing is the admin's to create, with the fix in the message. */
  async ready(): Promise<string> {
    const found = await stat(this.dir).catch(() => null);
    if (found?.isDirectory()) return this.dir;
    if (!this.configured) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      return this.dir;
    }
    throw new StorageGoneError(
      this.what,
      `${this.what} storage directory ${this.dir} does not exist: create it (mkdir -p ${this.dir}), make it writable by Runyard ` +
        `and shared by every API instance, or unset ${this.variable} to use RUNYARD_DATA_DIR`,
    );
  }

  /** Whether `name` is stored under the root. */
  async has(name: string): Promise<boolean> {
    return (await stat(join(await this.ready(), name)).catch(() => null))?.isFile() ?? false;
  }

  /** A stored file to read; one deleted outside Runyard is a StorageGoneError saying so and what to do (`fix`). */
  async existing(name: string, fix: string): Promise<string> {
    const file = join(await this.ready(), name);
    if (await this.has(name)) return file;
    throw new StorageGoneError(
      this.what,
      `${file} is missing from the ${this.what} storage (${this.dir}): it was deleted outside Runyard; ${fix}`,
    );
  }
}

/** What was written: its size and SHA-256. */
export interface Written {
  size: number;
  sha256: string;
}

/**
 * Writes a stream to `file` through a temporary file of this write's own, renamed when complete, refusing more than
 * `maxBytes`. `accept` may refuse what was written (by throwing) before it takes the file's name: concurrent writes of
 * the same file never share a temporary file, and the file is only ever whole.
 */
export async function writeStream(
  source: NodeJS.ReadableStream,
  file: string,
  maxBytes: number,
  tooLarge: (size: number) => string,
  accept: (written: Written) => void = () => undefined,
): Promise<Written> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const hash = createHash('sha256');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new TooLargeError(tooLarge(size)));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, counter, createWriteStream(tmp, { mode: 0o600 }));
    const written = { size, sha256: hash.digest('hex') };
    accept(written);
    await rename(tmp, file);
    return written;
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Removes a path under `root`; never anything outside it. */
export async function removeUnder(root: string, ...parts: string[]): Promise<void> {
  const target = resolve(join(root, ...parts));
  if (target === resolve(root) || !target.startsWith(resolve(root) + '/')) throw new Error(`${target} is not under ${root}`);
  await rm(target, { recursive: true, force: true });
}
