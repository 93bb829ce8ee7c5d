import { Inject, Injectable } from '@nestjs/common';
import { createReadStream, ReadStream } from 'node:fs';
import { join } from 'node:path';
import { Environment } from '@runyard/config';
import { BadInputError } from '@runyard/runs';
import { removeUnder, StorageRoot, writeStream } from './file-storage';

/** Packages as files named by their SHA-256, under PACKAGE_STORAGE (default RUNYARD_DATA_DIR/packages). */
@Injectable()
export class PackageStorage {
  private readonly root: StorageRoot;

  constructor(@Inject(Environment) private readonly env: Environment) {
    this.root = new StorageRoot('package', 'PACKAGE_STORAGE', env.PACKAGE_STORAGE, join(env.RUNYARD_DATA_DIR, 'packages'));
  }

  /** The message a client shows when its package is too large, with what to do about it. */
  tooLarge = (size: number): string =>
    `the package is ${size} bytes; this Runyard accepts at most ${this.env.PACKAGE_MAX_BYTES} (PACKAGE_MAX_BYTES): ` +
    `exclude what the code does not need (data/, *.pkl, models/ …) or ask the admin to raise PACKAGE_MAX_BYTES`;

  /**
   * Stores an upload, checking its size on the way and its SHA-256 before it takes its name: the name is a promise about
   * the content. Clients uploading the same package at once each write their own copy; the last rename wins, same bytes.
   */
  async store(sha: string, body: NodeJS.ReadableStream): Promise<number> {
    const file = join(await this.root.ready(), `${sha}.tar.gz`);
    const written = await writeStream(body, file, this.env.PACKAGE_MAX_BYTES, this.tooLarge, ({ sha256 }) => {
      if (sha256 !== sha) throw new BadInputError(`the package's SHA-256 is ${sha256}, not ${sha}: it was changed or cut on the way`);
    });
    return written.size;
  }

  /** The package's bytes; `fix` says what its users can do when its file was deleted. */
  async open(sha: string, fix: string): Promise<ReadStream> {
    return createReadStream(await this.root.existing(`${sha}.tar.gz`, fix));
  }

  /** Whether the package's file is there (a row without it is uploaded again). */
  has(sha: string): Promise<boolean> {
    return this.root.has(`${sha}.tar.gz`);
  }

  async remove(sha: string): Promise<void> {
    await removeUnder(await this.root.ready(), `${sha}.tar.gz`);
  }

  /** Checks the storage at start-up, so a missing directory is in the log before the first client meets it. */
  check(): Promise<string> {
    return this.root.ready();
  }
}
