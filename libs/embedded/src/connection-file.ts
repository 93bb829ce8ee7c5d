/*
 * `<dataDir>/postgres.json`, mode 0600: the embedded server's port, user and password. The password
 * is made up on the first start; only the user who runs Runyard can read it.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CONNECTION_FILE = 'postgres.json';
export const DATABASE_USER = 'runyard';
export const DATABASE_NAME = 'postgres';

export interface Connection {
  user: string;
  password: string;
  database: string;
  /** The port of the last start: used again while it is free. */
  port?: number;
}

export function readOrCreateConnection(dataDir: string): Connection {
  const file = path.join(dataDir, CONNECTION_FILE);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Connection;
  const created = { user: DATABASE_USER, password: randomBytes(24).toString('hex'), database: DATABASE_NAME };
  writeConnection(dataDir, created);
  return created;
}

/** Written whole under another name, then renamed: never a half-written file. */
export function writeConnection(dataDir: string, connection: Connection): void {
  const file = path.join(dataDir, CONNECTION_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(connection, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function connectionUrl(c: Connection & { port: number }): string {
  return `postgres://${c.user}:${c.password}@127.0.0.1:${c.port}/${c.database}`;
}
