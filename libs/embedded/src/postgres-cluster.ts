/*
 * The PostgreSQL data directory, `<dataDir>/postgres`: made by initdb on the first start, under a
 * temporary name and renamed when complete, so a start that was killed half-way begins again.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Connection } from './connection-file';
import type { PostgresBinaries } from './postgres-binaries';
import { runAs, ServerAccount } from './server-account';

const run = promisify(execFile);

export const CLUSTER_DIR = 'postgres';

/** Only the Runyard user, only over loopback TCP, only with the password. */
const hba = (user: string) => `# Written by Runyard: its own user, over 127.0.0.1, with the password; nothing else.
host all ${user} 127.0.0.1/32 scram-sha-256
`;

/** The environment of PostgreSQL's programs: English messages, the machine's time zone, where the libraries are. */
export function serverEnv(binaries: PostgresBinaries): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LANG: 'C', LC_ALL: 'C' };
  if (process.env.TZ) env.TZ = process.env.TZ;
  // The libraries' own search paths ($ORIGIN) then start from the links: name the real directory too.
  const libraries = binaries.libraryDir && [binaries.libraryDir, path.join(binaries.packageDir, 'native', 'lib')].join(path.delimiter);
  if (libraries) env[process.platform === 'darwin' ? 'DYLD_FALLBACK_LIBRARY_PATH' : 'LD_LIBRARY_PATH'] = libraries;
  return env;
}

/** `postgres -V`, run as the account: proves the programs and their libraries load. */
export async function serverVersion(binaries: PostgresBinaries, account: ServerAccount): Promise<string> {
  try {
    const { stdout } = await run(binaries.postgres, ['-V'], { ...runAs(account), env: serverEnv(binaries) });
    return stdout.trim().replace(/^postgres \(PostgreSQL\) /, '');
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`The embedded PostgreSQL does not run (${binaries.postgres}): ${(err.stderr || err.message).trim()}`, { cause: e });
  }
}

/** Creates the cluster if there is none; answers whether it did. */
export async function ensureCluster(
  dataDir: string,
  binaries: PostgresBinaries,
  account: ServerAccount,
  connection: Connection,
  version: string,
): Promise<boolean> {
  const cluster = path.join(dataDir, CLUSTER_DIR);
  if (fs.existsSync(cluster)) {
    const made = fs.readFileSync(path.join(cluster, 'PG_VERSION'), 'utf8').trim();
    if (made !== version.split('.')[0]) {
      throw new Error(
        `${cluster} holds a PostgreSQL ${made} database; this Runyard ships PostgreSQL ${version}. Dump and restore it, or set DATABASE_URL.`,
      );
    }
    return false;
  }
  const building = `${cluster}.init`;
  const pwfile = `${cluster}.init-password`;
  fs.rmSync(building, { recursive: true, force: true });
  fs.mkdirSync(building, { mode: 0o700 });
  fs.writeFileSync(pwfile, connection.password + '\n', { mode: 0o600 });
  try {
    if (account.uid !== undefined) {
      fs.chownSync(building, account.uid, account.gid!);
      fs.chownSync(pwfile, account.uid, account.gid!);
    }
    const args = [
      `--pgdata=${building}`,
      `--username=${connection.user}`,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      // Code-point order and Unicode case rules built into PostgreSQL: no dependence on OS locales.
      '--no-locale',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--no-instructions',
    ];
    await run(binaries.initdb, args, { ...runAs(account), env: serverEnv(binaries) }).catch(
      (e: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`initdb failed for ${cluster}: ${(e.stderr || e.stdout || e.message).trim()}`, { cause: e });
      },
    );
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  // initdb's file belongs to the server's user; overwriting keeps it so.
  fs.writeFileSync(path.join(building, 'pg_hba.conf'), hba(connection.user));
  fs.renameSync(building, cluster);
  return true;
}
