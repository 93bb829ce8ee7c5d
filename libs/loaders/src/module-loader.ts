export const LOADER_TYPES = ['NO_MODULE', 'VENV', 'CONDA', 'LMOD'] as const;
export type LoaderType = (typeof LOADER_TYPES)[number];

/** Admin-chosen settings (never taken from a request). */
export interface LoaderSettings {
  /** The program run in the prepared environment: Autosubmit (default 'autosubmit', found on PATH), or a script's interpreter. */
  program: string;
  /** Default 'conda'. */
  condaExecutable: string;
  /** Default '/usr/share/lmod/lmod/init/bash'. */
  lmodInit: string;
  /** VENV only: the venv's realpath must be under it. */
  safeRootPath?: string;
  /**
   * The command runs on another host (SSH): its file system is not this one's, so VENV checks the
   * path's form only (absolute, no `..`, under SAFE_ROOT_PATH) and the remote side does the rest.
   */
  remote?: boolean;
}

export const DEFAULT_LOADER_SETTINGS: Readonly<LoaderSettings> = {
  program: 'autosubmit',
  condaExecutable: 'conda',
  lmodInit: '/usr/share/lmod/lmod/init/bash',
};

/** How the environment of a command (Autosubmit, a script's interpreter) is prepared. */
export interface ModuleLoader {
  readonly type: LoaderType;
  /** Full argv (argv[0] = what to execute) that runs `<settings.program> <args>` in the prepared environment. */
  prepare(args: string[], modules: string[], settings: LoaderSettings): Promise<string[]>;
}
