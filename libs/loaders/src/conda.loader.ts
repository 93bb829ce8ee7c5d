import { LoaderSettings, ModuleLoader } from './module-loader';
import { ensureModuleCount, ensureProgram } from './loader-checks';
import { LoaderError } from './loader.error';

export const CONDA_ENV_PATTERN = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;

/** `conda run -n ENV autosubmit …`; the one module is the environment's name. */
export class CondaLoader implements ModuleLoader {
  readonly type = 'CONDA';

  async prepare(args: string[], modules: string[], settings: LoaderSettings): Promise<string[]> {
    ensureModuleCount('CONDA', modules, 1, 1);
    const [env] = modules;
    // `..` would name the conda root itself.
    if (typeof env !== 'string' || !CONDA_ENV_PATTERN.test(env) || env === '.' || env === '..') {
      throw new LoaderError(`conda environment ${JSON.stringify(env)} is not an environment name`);
    }
    return [
      ensureProgram('condaExecutable', settings.condaExecutable),
      'run',
      // Without it conda holds all output until the command ends.
      '--no-capture-output',
      '-n',
      env,
      ensureProgram('program', settings.program),
      ...args,
    ];
  }
}
