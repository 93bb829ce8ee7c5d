// Formats of the values a user may hand to Autosubmit. Each one is strict enough that no shell
// metacharacter, control character or leading `-` (read as an option) gets through, and lenient
// enough for the values Autosubmit itself documents.

/** Autosubmit experiment ids: 4 lowercase base-36 characters (`a001`, test `t0ab`, operational `o001`). */
export const EXPID_PATTERN = /^[a-z0-9]{4}$/;

/** Job names such as `a001_20000101_fc0_1_SIM`. */
export const JOB_NAME_PATTERN = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
export const JOB_NAME_MAX_LENGTH = 255;

/** Job types (sections) separated by single spaces: `SIM POST`. */
export const JOB_TYPES_PATTERN = /^[A-Za-z0-9_]+( [A-Za-z0-9_]+)*$/;

export const JOB_STATUSES = [
  'WAITING',
  'READY',
  'SUBMITTED',
  'QUEUING',
  'RUNNING',
  'COMPLETED',
  'HELD',
  'PREPARED',
  'SKIPPED',
  'DELAYED',
  'FAILED',
  'UNKNOWN',
  'SUSPENDED',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The statuses `autosubmit setstatus --status_final` accepts (its argparse choices). */
export const SETTABLE_JOB_STATUSES = [
  'READY',
  'COMPLETED',
  'WAITING',
  'SUSPENDED',
  'FAILED',
  'UNKNOWN',
  'QUEUING',
  'RUNNING',
  'HELD',
] as const satisfies readonly JobStatus[];
export type SettableJobStatus = (typeof SETTABLE_JOB_STATUSES)[number];

/** `Any` is Autosubmit's wildcard in status filters. */
const STATUS_FILTER_TOKENS: readonly string[] = ['Any', ...JOB_STATUSES];

// Chunk filters: `fc0 [1 2 3]`, `[ 19601101 [ fc0 [1 2 3 4] Any [1] ] 19651101 [ fc0 [16-30] ] ]`,
// and with job types after commas for the type-chunk forms: `[ … ],SIM,SIM2`.
const CHUNK_FILTER_CHARS = /^[A-Za-z0-9_.[\] -]+$/;
const TYPED_CHUNK_FILTER_CHARS = /^[A-Za-z0-9_.[\] ,-]+$/;
export const FILTER_MAX_LENGTH = 4096;

export const DESCRIPTION_MAX_LENGTH = 1024;

/** Git remotes: URLs of the usual transports, scp-like `user@host:path`, or an absolute path. */
export const GIT_REPO_PATTERN =
  /^(?:(?:https?|ssh|git|file):\/\/[A-Za-z0-9._~:/@%+-]+|[A-Za-z0-9_][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.-]*:[A-Za-z0-9._~/%+][A-Za-z0-9._~/%+-]*|\/[A-Za-z0-9._~/@%+-]*)$/;
/** Branch, tag or commit names (a subset of git's ref-name rules). */
export const GIT_BRANCH_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._/+-]*$/;
/** Autosubmit platform names: `MN5`, `marenostrum5`, `local`. */
export const HPC_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** The configuration path inside the git repository (`-conf`), relative or absolute. */
export const CONFIG_PATH_PATTERN = /^[A-Za-z0-9_./][A-Za-z0-9_./+-]*$/;
export const NAME_MAX_LENGTH = 255;
export const URL_MAX_LENGTH = 2048;

export function isExpid(value: unknown): value is string {
  return typeof value === 'string' && EXPID_PATTERN.test(value);
}

export function isJobName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= JOB_NAME_MAX_LENGTH && JOB_NAME_PATTERN.test(value);
}

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

export function isSettableJobStatus(value: unknown): value is SettableJobStatus {
  return typeof value === 'string' && (SETTABLE_JOB_STATUSES as readonly string[]).includes(value);
}

/** Status names (or `Any`) separated by single spaces: `FAILED READY`. */
export function isStatusFilter(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= FILTER_MAX_LENGTH &&
    value.split(' ').every((token) => STATUS_FILTER_TOKENS.includes(token))
  );
}

export function isJobTypeFilter(value: unknown): value is string {
  return typeof value === 'string' && value.length <= FILTER_MAX_LENGTH && JOB_TYPES_PATTERN.test(value);
}

/** A `--filter_chunks` value; `withJobTypes` also admits the `,SIM,POST` suffix of the type-chunk filters. */
export function isChunkFilter(value: unknown, withJobTypes = false): value is string {
  if (typeof value !== 'string' || value.length > FILTER_MAX_LENGTH) return false;
  const chars = withJobTypes ? TYPED_CHUNK_FILTER_CHARS : CHUNK_FILTER_CHARS;
  if (!chars.test(value) || value.trim() === '' || value.trimStart().startsWith('-')) return false;
  return bracketsBalance(value);
}

/** Free text for Autosubmit's database: not blank, no NUL, bounded, and not option-like. */
export function isDescription(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.trim() !== '' &&
    [...value].length <= DESCRIPTION_MAX_LENGTH &&
    !value.includes('\0') &&
    !value.startsWith('-')
  );
}

export function isGitRepo(value: unknown): value is string {
  return typeof value === 'string' && value.length <= URL_MAX_LENGTH && GIT_REPO_PATTERN.test(value);
}

export function isGitBranch(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= NAME_MAX_LENGTH &&
    GIT_BRANCH_PATTERN.test(value) &&
    !value.includes('..') &&
    !value.includes('//') &&
    !value.endsWith('/') &&
    !value.endsWith('.') &&
    !value.endsWith('.lock')
  );
}

export function isHpcName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= NAME_MAX_LENGTH && HPC_PATTERN.test(value);
}

/** A `..` segment could point Autosubmit outside the repository, so it is refused. */
export function isConfigPath(value: unknown): value is string {
  return typeof value === 'string' && value.length <= URL_MAX_LENGTH && CONFIG_PATH_PATTERN.test(value) && !value.split('/').includes('..');
}

function bracketsBalance(value: string): boolean {
  let depth = 0;
  for (const char of value) {
    if (char === '[') depth += 1;
    if (char === ']') depth -= 1;
    if (depth < 0) return false;
  }
  return depth === 0;
}
