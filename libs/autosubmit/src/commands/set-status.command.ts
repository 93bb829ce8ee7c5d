import { CommandInputError } from '../command-input.error';
import {
  SETTABLE_JOB_STATUSES,
  SettableJobStatus,
  JOB_STATUSES,
  isChunkFilter,
  isSettableJobStatus,
  isJobName,
  isJobTypeFilter,
  isStatusFilter,
} from '../formats';
import { AutosubmitCommand } from './autosubmit-command';
import { ensure, ensureExpid } from './input-checks';

/** The Autosubmit API's set-job-status `command_params`, under the same names. */
export interface SetStatusParams {
  job_names_list?: string[];
  final_status: SettableJobStatus;
  filter_chunks?: string;
  filter_status?: string;
  filter_type?: string;
  filter_type_chunk?: string;
  filter_type_chunk_split?: string;
  check_wrapper?: boolean;
  update_version?: boolean;
}

/** Autosubmit's mutually exclusive ways to choose the jobs; exactly one is required. */
export const JOB_SELECTIONS = [
  'job_names_list',
  'filter_chunks',
  'filter_status',
  'filter_type',
  'filter_type_chunk',
  'filter_type_chunk_split',
] as const;

// One argv element must stay under Linux's 128 KiB limit per argument.
const JOB_LIST_MAX_LENGTH = 100_000;
const CHUNK_FILTER = 'is not an Autosubmit chunk filter such as "[ 19601101 [ fc0 [1 2 3 4] ] ]"';
const TYPED_CHUNK_FILTER = 'is not an Autosubmit chunk filter such as "[ 19601101 [ fc0 [1 2] ] ],SIM"';

/**
 * `autosubmit setstatus EXPID -np -nt -s --<selection>=… --status_final=… [--check_wrapper] [--update_version]`
 */
export function setStatusCommand(expid: string, params: SetStatusParams): AutosubmitCommand {
  const checkedExpid = ensureExpid(expid);
  const given = JOB_SELECTIONS.filter((field) => params[field] !== undefined && params[field] !== null);
  if (given.length !== 1) {
    const names = JOB_SELECTIONS.join(', ');
    throw new CommandInputError(
      given.length === 0 ? 'job_names_list' : given[1],
      given.length === 0 ? `one of ${names} is required` : `only one of ${names} may be given`,
    );
  }
  ensure(
    isSettableJobStatus(params.final_status),
    'final_status',
    params.final_status,
    `is not a status Autosubmit can set (${SETTABLE_JOB_STATUSES.join(', ')})`,
  );
  const p = params as unknown as Record<string, unknown>;
  const option = (field: string, flag: string, valid: (v: unknown) => boolean, expected: string): string[] => {
    if (p[field] === undefined || p[field] === null) return [];
    ensure(valid(p[field]), field, p[field], expected);
    return [`${flag}=${String(p[field])}`];
  };
  return {
    args: [
      'setstatus',
      checkedExpid,
      '-np',
      '-nt',
      '-s',
      ...(given[0] === 'job_names_list' ? [`--list=${jobList(params.job_names_list)}`] : []),
      `--status_final=${params.final_status}`,
      ...option('filter_chunks', '--filter_chunks', (v) => isChunkFilter(v), CHUNK_FILTER),
      ...option('filter_status', '--filter_status', isStatusFilter, `is not a list of job statuses (Any, ${JOB_STATUSES.join(', ')})`),
      ...option('filter_type', '--filter_type', isJobTypeFilter, 'is not a list of job types such as "SIM POST"'),
      ...option('filter_type_chunk', '--filter_type_chunk', (v) => isChunkFilter(v, true), TYPED_CHUNK_FILTER),
      ...option('filter_type_chunk_split', '--filter_type_chunk_split', (v) => isChunkFilter(v, true), TYPED_CHUNK_FILTER),
      ...(params.check_wrapper === true ? ['--check_wrapper'] : []),
      ...(params.update_version === true ? ['--update_version'] : []),
    ],
  };
}

function jobList(value: unknown): string {
  ensure(Array.isArray(value) && value.length > 0, 'job_names_list', value, 'is not a non-empty list of job names');
  for (const name of value as unknown[]) {
    ensure(isJobName(name), 'job_names_list', name, 'is not an Autosubmit job name such as "a001_20000101_fc0_1_SIM"');
  }
  const joined = (value as string[]).join(' ');
  if (joined.length > JOB_LIST_MAX_LENGTH) {
    throw new CommandInputError('job_names_list', `job_names_list is longer than ${JOB_LIST_MAX_LENGTH} characters`);
  }
  return joined;
}
