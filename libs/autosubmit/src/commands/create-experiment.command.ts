import { CommandInputError } from '../command-input.error';
import { isConfigPath, isGitBranch, isGitRepo, isHpcName } from '../formats';
import { AutosubmitCommand } from './autosubmit-command';
import { ensure, ensureDescription, ensureExpid } from './input-checks';

/** The Autosubmit API's create-experiment `command_params`, under the same names. */
export interface CreateExperimentParams {
  description: string;
  git_repo?: string;
  git_branch?: string;
  minimal?: boolean;
  config_path?: string;
  hpc?: string;
  use_local_minimal?: boolean;
  operational?: boolean;
  testcase?: boolean;
  copy?: string;
}

const CREATED_EXPID = /Experiment (\w+) created/;

/**
 * `autosubmit expid --description=D [--git_repo=…] [--git_branch=…] [--minimal_configuration] [-conf=…]
 * [--HPC=…] [--use_local_minimal] [--operational] [--testcase] [--copy=…]`
 */
export function createExperimentCommand(params: CreateExperimentParams): AutosubmitCommand {
  const description = ensureDescription(params.description);
  if (params.operational === true && params.testcase === true) {
    throw new CommandInputError('testcase', 'operational and testcase cannot both be set');
  }
  const option = (field: keyof CreateExperimentParams, flag: string, valid: boolean, expected: string): string[] => {
    const value = params[field];
    if (value === undefined || value === null) return [];
    ensure(valid, field, value, expected);
    return [`${flag}=${String(value)}`];
  };
  const flag = (set: boolean | undefined, name: string): string[] => (set === true ? [name] : []);
  return {
    args: [
      'expid',
      `--description=${description}`,
      ...option('git_repo', '--git_repo', isGitRepo(params.git_repo), 'is not a git repository URL'),
      ...option('git_branch', '--git_branch', isGitBranch(params.git_branch), 'is not a git branch name'),
      ...flag(params.minimal, '--minimal_configuration'),
      ...option('config_path', '-conf', isConfigPath(params.config_path), 'is not a path inside the git repository'),
      ...option('hpc', '--HPC', isHpcName(params.hpc), 'is not an Autosubmit platform name'),
      ...flag(params.use_local_minimal, '--use_local_minimal'),
      ...flag(params.operational, '--operational'),
      ...flag(params.testcase, '--testcase'),
      ...(params.copy === undefined || params.copy === null ? [] : [`--copy=${ensureExpid(params.copy, 'copy')}`]),
    ],
  };
}

/** The id Autosubmit printed for the experiment it created, or null when it printed none. */
export function parseCreatedExpid(output: string): string | null {
  return CREATED_EXPID.exec(output)?.[1] ?? null;
}
