import Module from 'node:module';
import { MissingDriverError } from 'typeorm/error/MissingDriverError.js';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import type { DataSource } from 'typeorm';

/**
 * TypeORM's DriverFactory requires the drivers of all 18 databases it knows as it loads (MySQL, SQL Server,
 * Oracle, SAP, Spanner, SQLite...): ~1.2 MB of source, ~2 MiB of a worker's idle memory, for the one Postgres
 * driver Runyard uses. Put in Node's module cache under the factory's own name before TypeORM loads, this one
 * makes the Postgres driver and refuses any other type with TypeORM's own error.
 */
class PostgresDriverFactory {
  create(dataSource: DataSource): PostgresDriver {
    const { type } = dataSource.options;
    if (type !== 'postgres') throw new MissingDriverError(type, ['postgres']);
    return new PostgresDriver(dataSource);
  }
}

const file = require.resolve('typeorm/driver/DriverFactory.js');
const factory = new Module(file, module);
factory.filename = file;
factory.exports = { DriverFactory: PostgresDriverFactory };
factory.loaded = true;
require.cache[file] ??= factory;
