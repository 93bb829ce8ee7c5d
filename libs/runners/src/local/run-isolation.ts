import { inheritedEnvironment, parseEnvAllow } from '../run-environment';
import { isAbsolute } from 'node:path';
import { AccountRequest, parseUidRange, UID_LOCKS } from './run-account';

/** How the runs of this host are kept apart from Runyard and from each other (RUN_UID_RANGE, RUN_UID_LOCKS, RUN_ENV_ALLOW). */
export interface RunIsolation {
  /** Runyard runs as root: every run gets an account of its own (RUN_AS, else a uid of the range). */
  accounts: boolean;
  uidRange: [number, number];
  /** The directory of the uids' locks, shared by every Runyard process whose runs share a host (or a volume). */
  uidLocks: string;
  /** The environment every run inherits from Runyard's. */
  inherited: Record<string, string>;
}

/** Read once per process; a bad setting stops the start with a message naming it. */
export function runIsolation(env: NodeJS.ProcessEnv = process.env): RunIsolation {
  return {
    accounts: process.getuid?.() === 0,
    uidRange: parseUidRange(env.RUN_UID_RANGE),
    uidLocks: uidLocks(env.RUN_UID_LOCKS),
    inherited: inheritedEnvironment(env, parseEnvAllow(env.RUN_ENV_ALLOW)),
  };
}

/** The account a run of profile RUN_AS `runAs` asks for. */
export function accountRequest(isolation: RunIsolation, runAs: string | undefined): AccountRequest | null {
  if (!isolation.accounts) return runAs ? { name: runAs } : null;
  return runAs ? { name: runAs } : { range: isolation.uidRange };
}

function uidLocks(value: string | undefined): string {
  if (value === undefined || value === '') return UID_LOCKS;
  if (!isAbsolute(value)) throw new Error(`RUN_UID_LOCKS must be an absolute path (got ${JSON.stringify(value)})`);
  return value;
}

/** For the start-up log: what a run can reach here. */
export function describeIsolation(isolation: RunIsolation): string {
  const env = `environment: ${Object.keys(isolation.inherited).sort().join(', ') || 'none'} from Runyard's, then HOME, USER and the run's own`;
  if (isolation.accounts) {
    const [lo, hi] = isolation.uidRange;
    return (
      `runs execute as accounts of their own: their profile's RUN_AS, else a uid of their own from RUN_UID_RANGE ${lo}-${hi} ` +
      `(no groups, no new privileges, umask 077); none can read another's directory, Runyard's files or processes; ${env}`
    );
  }
  return (
    `runs execute as this process's account (uid ${process.getuid?.()}), without Runyard's settings (${env}) — but they can ` +
    `read whatever this account can: RUNYARD_DATA_DIR, other runs' directories and credentials, and signal its processes. ` +
    `Run Runyard (or the agent) as root to give every run an account of its own; see the README's "Security model"`
  );
}
