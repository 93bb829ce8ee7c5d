import { AutosubmitCommand } from './autosubmit-command';
import { ensureExpid } from './input-checks';

/** The v4alpha create-job-list body. */
export interface CreateJobListParams {
  check_wrapper?: boolean;
  update_version?: boolean;
  force?: boolean;
}

/** `autosubmit create -np [--check_wrapper] [--update_version] [--force] EXPID` */
export function createJobListCommand(expid: string, params: CreateJobListParams = {}): AutosubmitCommand {
  const checked = ensureExpid(expid);
  return {
    args: [
      'create',
      '-np',
      ...(params.check_wrapper === true ? ['--check_wrapper'] : []),
      ...(params.update_version === true ? ['--update_version'] : []),
      ...(params.force === true ? ['--force'] : []),
      checked,
    ],
  };
}
