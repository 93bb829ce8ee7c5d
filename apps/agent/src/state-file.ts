import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A JSON file only the agent's user may read (it holds secrets and job tokens), replaced
 * atomically: written to a temporary file, flushed to disk, then renamed over the old one, so a
 * crash or a full disk leaves the old content or the new, never half of one.
 */
export class StateFile<T extends object> {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {
    // Runs' own accounts may pass through (their directories are below), never list; the file itself is 0600.
    mkdirSync(dirname(path), { recursive: true, mode: 0o711 });
  }

  async read(): Promise<Partial<T>> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as Partial<T>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`cannot read ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Writes are serialized: the last one asked for is the one on disk. */
  write(value: T): Promise<void> {
    const text = JSON.stringify(value, null, 2);
    const next = this.writing.then(() => this.replace(text));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async replace(text: string): Promise<void> {
    const tmp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, this.path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    // The rename itself is durable once the directory is.
    const dir = await open(dirname(this.path), 'r');
    await dir.sync().catch(() => undefined);
    await dir.close();
  }
}
