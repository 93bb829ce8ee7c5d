import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, Not, In, Repository } from 'typeorm';
import { RUNYARD_CONFIG } from '@runyard/config';
import type { Profile, RunyardConfig } from '@runyard/config';
import { ProfileRecord } from '@runyard/persistence';
import { RunnerTypes } from '@runyard/runners';
import { NotFoundError } from './errors';

const PROFILE_CACHE_MS = 5_000;

/** Profiles live in Postgres, synced from the configuration file when the API starts. */
@Injectable()
export class ProfilesService implements OnApplicationBootstrap {
  private readonly repo: Repository<ProfileRecord>;
  private readonly cache = new Map<string, { profile: Profile; at: number }>();

  constructor(
    db: DataSource,
    @Inject(RUNYARD_CONFIG) private readonly config: RunyardConfig,
    private readonly runners: RunnerTypes,
  ) {
    this.repo = db.getRepository(ProfileRecord);
  }

  async onApplicationBootstrap(): Promise<void> {
    const names = Object.keys(this.config.profiles);
    await this.repo.manager.transaction(async (m) => {
      if (names.length > 0) await m.delete(ProfileRecord, { name: Not(In(names)) });
      else await m.clear(ProfileRecord);
      if (names.length > 0) {
        await m.upsert(
          ProfileRecord,
          // `as never`: TypeORM's deep-partial type cannot take a record with an open index signature.
          names.map((name) => ({ name, definition: this.config.profiles[name] as never, source: this.config.file ?? 'built-in demo' })),
          ['name'],
        );
      }
    });
  }

  /** Profiles change only when an API starts with another file: a few seconds of cache spare the hot path a query. */
  async get(name: string): Promise<Profile> {
    const hit = this.cache.get(name);
    if (hit && Date.now() - hit.at < PROFILE_CACHE_MS) return hit.profile;
    const record = await this.repo.findOneBy({ name });
    if (!record) throw new NotFoundError(`profile ${name} does not exist`);
    this.cache.set(name, { profile: record.definition, at: Date.now() });
    return record.definition;
  }

  /** The profiles as clients may see them: each runner's block as its runner shows it (where private keys are is not their business). */
  async all(): Promise<Record<string, Profile>> {
    const records = await this.repo.find({ order: { name: 'ASC' } });
    return Object.fromEntries(records.map((r) => [r.name, this.publicView(r.definition)]));
  }

  private publicView(profile: Profile): Profile {
    const view: Profile = { ...profile };
    for (const d of this.runners.definitions) {
      const block = d.block ? view[d.block] : undefined;
      if (block && d.publicBlock) view[d.block!] = d.publicBlock(block as Record<string, unknown>);
    }
    return view;
  }
}
