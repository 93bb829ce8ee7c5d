import { LoaderSettings, ModuleLoader } from './module-loader';
import { ensureProgram } from './loader-checks';

/**
 * Runs the program (the Autosubmit found on PATH) as it is. Modules are ignored, as upstream does, so
 * a profile or request that names some still works.
 */
export class NoModuleLoader implements ModuleLoader {
  readonly type = 'NO_MODULE';

  async prepare(args: string[], _modules: string[], settings: LoaderSettings): Promise<string[]> {
    return [ensureProgram('program', settings.program), ...args];
  }
}
