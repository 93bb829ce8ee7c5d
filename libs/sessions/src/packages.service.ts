import { Inject, Injectable } from '@nestjs/common';
import type { ReadStream } from 'node:fs';
import { Environment } from '@runyard/config';
import { BadInputError, ConflictError, NotFoundError } from '@runyard/runs';
import { PackageStorage } from './package-storage';
import { TooLargeError } from './sdk-errors';
import { SHA256 } from './sdk-names';
import { SessionsRepository } from './sessions.repository';

/** Content-addressed packages: a directory packed by a client is uploaded once, whatever application uses it. */
@Injectable()
export class PackagesService {
  constructor(
    private readonly repo: SessionsRepository,
    private readonly storage: PackageStorage,
    @Inject(Environment) private readonly env: Environment,
  ) {}

  private checked(sha: string): string {
    if (!SHA256.test(sha)) throw new BadInputError(`${JSON.stringify(sha)} is not a SHA-256 (64 lower-case hex digits)`);
    return sha;
  }

  /** Whether the package is stored; `size` (what the client is about to send) is refused here already when too large. */
  async find(sha: string, size?: number): Promise<{ sha256: string; size: number }> {
    const stored = await this.repo.packageSize(this.checked(sha));
    if (stored !== null && (await this.storage.has(sha))) return { sha256: sha, size: stored };
    if (size !== undefined && size > this.env.PACKAGE_MAX_BYTES) throw new TooLargeError(this.storage.tooLarge(size));
    await this.storage.check();
    throw new NotFoundError(`package ${sha} has not been uploaded`);
  }

  async upload(
    sha: string,
    body: NodeJS.ReadableStream,
    declaredSize: number | undefined,
  ): Promise<{ sha256: string; size: number; created: boolean }> {
    this.checked(sha);
    const stored = await this.repo.packageSize(sha);
    // A package whose file was deleted outside Runyard is taken again: the next client run repairs it.
    if (stored !== null && (await this.storage.has(sha))) {
      body.resume();
      return { sha256: sha, size: stored, created: false };
    }
    if (declaredSize !== undefined && declaredSize > this.env.PACKAGE_MAX_BYTES)
      throw new TooLargeError(this.storage.tooLarge(declaredSize));
    const size = await this.storage.store(sha, body);
    await this.repo.addPackage(sha, size);
    return { sha256: sha, size, created: true };
  }

  async open(sha: string, application: string): Promise<ReadStream> {
    return this.storage.open(
      this.checked(sha),
      `run the client of application ${application} again (it uploads the package anew), and leave the package storage to Runyard`,
    );
  }

  /** Drops the package unless an application still uses it (409). */
  async release(sha: string): Promise<void> {
    this.checked(sha);
    if ((await this.repo.packageSize(sha)) === null) throw new NotFoundError(`package ${sha} does not exist`);
    if (!(await this.repo.removePackageIfUnused(sha))) throw new ConflictError(`package ${sha} is still used by an application`);
    await this.storage.remove(sha);
  }

  /** The reaper's sweep: uploads nobody registered on. */
  async removeUnused(olderThanSecs: number): Promise<string[]> {
    const removed: string[] = [];
    for (const sha of await this.repo.unusedPackages(olderThanSecs)) {
      if (await this.repo.removePackageIfUnused(sha)) {
        await this.storage.remove(sha);
        removed.push(sha);
      }
    }
    return removed;
  }
}
