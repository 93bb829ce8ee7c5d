import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Queue, Worker } from 'bullmq';
import { Environment } from '@runyard/config';
import { QueueConnection } from '@runyard/queue';
import { ApplicationsService } from './applications.service';
import { ObjectsService } from './objects.service';
import { PackageStorage } from './package-storage';
import { PackagesService } from './packages.service';
import { RUNYARD } from './sdk-owners';
import { ObjectStorage } from './object-storage';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

export const SESSIONS_QUEUE = 'runyard-sessions';
const REAPER_ID = 'runyard-session-reaper';

/**
 * What Flame lacks: a BullMQ job scheduler that, every SESSION_REAPER_MS on one API instance,
 * cleans up after clients whose lease expired (Flame's cleanup order), replaces vanished
 * executors, and removes leftovers (packages nobody registered on, objects of unregistered apps).
 */
@Injectable()
export class SessionReaper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('SessionReaper');
  private queue?: Queue;
  private worker?: Worker;

  constructor(
    private readonly connection: QueueConnection,
    private readonly repo: SessionsRepository,
    private readonly applications: ApplicationsService,
    private readonly sessions: SessionsService,
    private readonly packages: PackagesService,
    private readonly objects: ObjectsService,
    private readonly packageStorage: PackageStorage,
    private readonly objectStorage: ObjectStorage,
    @Inject(Environment) private readonly env: Environment,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const storage of [this.packageStorage, this.objectStorage]) {
      await storage.check().catch((e: Error) => this.log.warn(e.message));
    }
    // An API that was down (a restart, an upgrade) gave no client the chance to renew: no lease ends during that gap.
    await this.repo.extendLeases(this.env.SESSION_LEASE_MS);
    this.queue = this.connection.createQueue(SESSIONS_QUEUE);
    this.worker = this.connection.createWorker(SESSIONS_QUEUE, () => this.sweep(), { concurrency: 1 });
    // Not awaited: the queue waits for its Redis, and an API started while Redis is away must still serve.
    void this.queue
      .upsertJobScheduler(REAPER_ID, { every: this.env.SESSION_REAPER_MS }, { name: 'reap' })
      .catch((e: Error) => this.log.warn(`reaper: ${e.message}`));
  }

  async sweep(): Promise<void> {
    for (const name of await this.repo.expiredApplications()) {
      this.log.warn(`application ${name}: its client's lease expired; cleaning up after it`);
      await this.applications.teardown(name, 'the reaper (client lease expired)');
    }
    await this.sessions.supervise();
    // Leftovers of a client that died between two steps, once it cannot be in the middle of them any more.
    const settled = (2 * this.env.SESSION_LEASE_MS) / 1000;
    for (const sha of await this.packages.removeUnused(settled)) this.log.log(`removed package ${sha}: no application uses it`);
    for (const app of await this.repo.orphanObjectOwners(settled)) await this.objects.deleteAll(app, RUNYARD);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.worker?.close(), this.queue?.close()]);
  }
}
