import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { Environment } from '@runyard/config';
import { EmbeddedPostgres, startEmbeddedPostgres } from '@runyard/embedded';
import { dataSourceOptions } from './data-source-options';

/** The postgres:// URL every client (TypeORM, BullMQ's PostgreSQL backend) connects to. */
export const DATABASE_URL = Symbol('DATABASE_URL');
const EMBEDDED = Symbol('EMBEDDED_POSTGRES');

const MIGRATION_LOCK = 0x52594d47; // "RYMG"

/** Migrations under an advisory lock, so workers starting together apply them once. */
export async function migrate(ds: DataSource): Promise<void> {
  const lock = ds.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.release();
  }
}

@Injectable()
class DatabaseShutdown implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EMBEDDED) private readonly embedded: EmbeddedPostgres | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}

/** Postgres, external (DATABASE_URL) or embedded; migrations applied before anything else uses it. */
@Global()
@Module({
  providers: [
    {
      provide: EMBEDDED,
      inject: [Environment],
      useFactory: async (env: Environment) => {
        if (env.DATABASE_URL) return null;
        const log = new Logger('Database');
        const pg = await startEmbeddedPostgres({ dataDir: resolve(env.RUNYARD_DATA_DIR) });
        if (pg.replacedLeftover) log.warn(`stopped the PostgreSQL server ${pg.replacedLeftover} that a killed Runyard had left running`);
        log.log(
          `no DATABASE_URL: embedded PostgreSQL ${pg.version} on 127.0.0.1:${pg.port}, data in ${pg.cluster} ` +
            `(${pg.initialised ? 'new' : 'existing'}, ready in ${pg.startupMs} ms)`,
        );
        return pg;
      },
    },
    {
      provide: DATABASE_URL,
      inject: [Environment, EMBEDDED],
      useFactory: (env: Environment, embedded: EmbeddedPostgres | null) => env.DATABASE_URL ?? embedded!.url,
    },
    {
      provide: DataSource,
      inject: [DATABASE_URL, Environment],
      useFactory: async (url: string, env: Environment) => {
        const ds = new DataSource(dataSourceOptions(url, { logging: env.RUNYARD_LOG_SQL }));
        await ds.initialize();
        await migrate(ds);
        return ds;
      },
    },
    DatabaseShutdown,
  ],
  exports: [DATABASE_URL, DataSource],
})
export class DatabaseModule {}
