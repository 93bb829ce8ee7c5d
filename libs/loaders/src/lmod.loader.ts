import { LoaderSettings, ModuleLoader } from './module-loader';
import { ensureModuleCount, ensureProgram } from './loader-checks';
import { LoaderError } from './loader.error';

/** Module names as Lmod spells them: `autosubmit`, `autosubmit/4.1.16`, `GCC/12.3.0+cuda`. */
export const LMOD_MODULE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+/-]*$/;

/** The exit status of the wrapper when Lmod or a module could not be loaded (as `env` uses 125). */
export const LMOD_SETUP_FAILED_EXIT_CODE = 125;

// `module` is a shell function, so a shell is unavoidable; every value reaches it as a positional
// parameter: $1 the Lmod init script, $2 the number N of modules, the next N the modules, then the
// command. A failed load is detected twice: Lmod (8.6) exits 1 and loads nothing when a module is
// unknown or its modulefile errors, and `module is-loaded` confirms each module, which also catches
// older Lmods that exit 0 and modules unloaded again by a conflict.
export const LMOD_SCRIPT = `
init=$1 count=$2
shift 2
modules=("\${@:1:count}")
shift "$count"
command=("$@")
set --
. "$init"
if ! declare -F module >/dev/null; then
  echo "runyard: Lmod could not be initialised from $init" >&2
  exit ${LMOD_SETUP_FAILED_EXIT_CODE}
fi
module load "\${modules[@]}"
status=$?
missing=()
for name in "\${modules[@]}"; do
  module is-loaded "$name" || missing+=("$name")
done
if [ "$status" -ne 0 ] || [ "\${#missing[@]}" -ne 0 ]; then
  echo "runyard: module load failed (Lmod exit status $status; not loaded: \${missing[*]:-none})" >&2
  exit ${LMOD_SETUP_FAILED_EXIT_CODE}
fi
exec "\${command[@]}"
`;

/** `module load MODULES…` in a fresh bash, then the program (`autosubmit …`). */
export class LmodLoader implements ModuleLoader {
  readonly type = 'LMOD';

  async prepare(args: string[], modules: string[], settings: LoaderSettings): Promise<string[]> {
    ensureModuleCount('LMOD', modules, 1, Infinity);
    for (const name of modules) {
      // The name also ends up in the shell code Lmod prints for `eval`, hence the strict format;
      // `..` segments could reach modulefiles outside MODULEPATH.
      if (typeof name !== 'string' || !LMOD_MODULE_PATTERN.test(name) || name.split('/').includes('..')) {
        throw new LoaderError(`module ${JSON.stringify(name)} is not an Lmod module name`);
      }
    }
    const init = ensureProgram('lmodInit', settings.lmodInit);
    const program = ensureProgram('program', settings.program);
    return ['bash', '--noprofile', '--norc', '-c', LMOD_SCRIPT, 'runyard-lmod', init, String(modules.length), ...modules, program, ...args];
  }
}
