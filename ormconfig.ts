import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@runyard/persistence';

/** The DataSource of the migration CLI (`npm run migration:run`); needs DATABASE_URL. */
if (!process.env.DATABASE_URL) {
  throw new Error('DATABASE_URL must be set for the migration CLI (Runyard applies migrations itself at start-up).');
}
export default new DataSource(dataSourceOptions(process.env.DATABASE_URL));
