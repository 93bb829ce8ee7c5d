import { Inject, Injectable } from '@nestjs/common';
import { createReadStream, ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Environment } from '@runyard/config';
import { removeUnder, StorageRoot, writeStream } from './file-storage';

/** Objects too large for their row: one file per object under OBJECT_STORAGE/{app}/{session}/, streamed through the API. */
@Injectable()
export class ObjectStorage {
  private readonly root: StorageRoot;

  constructor(@Inject(Environment) private readonly env: Environment) {
    this.root = new StorageRoot('object', 'OBJECT_STORAGE', env.OBJECT_STORAGE, join(env.RUNYARD_DATA_DIR, 'objects'));
  }

  private tooLarge = (size: number): string =>
    `the object is over ${size} bytes; this Runyard keeps objects of at most ${this.env.OBJECT_MAX_BYTES} bytes (OBJECT_MAX_BYTES)`;

  /** Writes a blob; `blob` is its path relative to the root (`{app}/{session}/{file}`). */
  async write(blob: string, body: NodeJS.ReadableStream): Promise<number> {
    const { size } = await writeStream(body, join(await this.root.ready(), blob), this.env.OBJECT_MAX_BYTES, this.tooLarge);
    return size;
  }

  async size(blob: string): Promise<number> {
    return (await stat(join(await this.root.ready(), blob))).size;
  }

  async open(blob: string): Promise<ReadStream> {
    return createReadStream(
      await this.root.existing(blob, 'the object is lost: run the call again, and leave the object storage to Runyard'),
    );
  }

  async remove(blob: string): Promise<void> {
    await removeUnder(await this.root.ready(), blob);
  }

  /** Every file of an application (its directory). */
  async removeApplication(app: string): Promise<void> {
    await removeUnder(await this.root.ready(), app);
  }

  check(): Promise<string> {
    return this.root.ready();
  }
}
