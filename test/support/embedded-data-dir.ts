import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A RUNYARD_DATA_DIR for embedded mode. Under root the embedded PostgreSQL runs as its own system
 * user, which must be able to enter the directory: mkdtemp makes it private (0700), so open it up.
 */
export function embeddedDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runyard-embedded-e2e-'));
  chmodSync(dir, 0o755);
  return join(dir, 'data');
}

export function removeEmbeddedDataDir(dataDir: string): void {
  rmSync(dirname(dataDir), { recursive: true, force: true });
}

/** The running postmaster of the data dir, from its postmaster.pid (pid and port). */
export function postmaster(dataDir: string): { pid: number; port: number } | undefined {
  try {
    const lines = readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true;
  }
}
