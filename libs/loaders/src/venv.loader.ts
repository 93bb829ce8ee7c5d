import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { LoaderSettings, ModuleLoader } from './module-loader';
import { ensureModuleCount, ensureProgram } from './loader-checks';
import { LoaderError } from './loader.error';

/**
 * Runs the program from the venv (`<venv>/bin/autosubmit`, `<venv>/bin/python`); the one module is the
 * venv's root path. The venv and the executable must resolve (symlinks followed) under the configured
 * safe root, so a request cannot point Runyard at a program of its choosing.
 */
export class VenvLoader implements ModuleLoader {
  readonly type = 'VENV';

  async prepare(args: string[], modules: string[], settings: LoaderSettings): Promise<string[]> {
    ensureModuleCount('VENV', modules, 1, 1);
    const [venv] = modules;
    if (typeof venv !== 'string' || venv.includes('\0') || !path.isAbsolute(venv)) {
      throw new LoaderError(`venv path ${JSON.stringify(venv)} is not an absolute path`);
    }
    if (venv.split('/').includes('..')) {
      throw new LoaderError(`venv path ${JSON.stringify(venv)} may not contain ".."`);
    }
    // Without a configured root any path would do, so the loader refuses to run at all.
    if (!settings.safeRootPath) {
      throw new LoaderError('the VENV loader needs SAFE_ROOT_PATH to be configured');
    }
    const program = path.posix.basename(ensureProgram('program', settings.program));
    if (settings.remote) {
      ensureUnder(path.posix.normalize(settings.safeRootPath), path.posix.normalize(venv), venv);
      return [path.posix.join(venv, 'bin', program), ...args];
    }
    const root = await resolve(settings.safeRootPath, 'SAFE_ROOT_PATH');
    const realVenv = await resolve(venv, 'venv path');
    ensureUnder(root, realVenv, venv);
    const executable = path.join(realVenv, 'bin', program);
    ensureUnder(root, await resolve(executable, 'venv executable'), executable);
    await ensureExecutableFile(executable);
    return [executable, ...args];
  }
}

async function resolve(target: string, what: string): Promise<string> {
  try {
    return await realpath(target);
  } catch {
    throw new LoaderError(`${what} ${JSON.stringify(target)} does not exist`);
  }
}

/** Path-segment aware: `/opt/venvs2` is not under `/opt/venvs`. */
function ensureUnder(root: string, real: string, given: string): void {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  if (real !== root && !real.startsWith(prefix)) {
    throw new LoaderError(`venv path ${JSON.stringify(given)} is not under SAFE_ROOT_PATH`);
  }
}

async function ensureExecutableFile(file: string): Promise<void> {
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a file');
    await access(file, constants.X_OK);
  } catch {
    throw new LoaderError(`${JSON.stringify(file)} is not an executable file`);
  }
}
