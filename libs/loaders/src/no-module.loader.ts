import { LoaderSettings, ModuleLoader } from './module-loader';
import { ensureProgram } from './loader-checks';

/**
 * Runs the Autosubmit found on PATH. Modules are ignored, as upstream does, so a profile or request
 * that names some still works.
 */
export class NoModuleLoader implements ModuleLoader {
  readonly type = 'NO_MODULE';

  async prepare(args: string[], _modules: string[], settings: LoaderSettings): Promise<string[]> {
    return [ensureProgram('autosubmitExecutable', settings.autosubmitExecutable), ...args];
  }
}
