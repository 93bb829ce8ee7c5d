/** An environment variable's name as a shell and every interpreter takes it: nothing else reaches a script's environment. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** All variables of a run together, as bytes in the environment (Linux refuses a larger exec anyway). */
const MAX_VARIABLES_BYTES = 64 * 1024;

/**
 * Automn's `script.variables` (`[{envName, value}]`: the script's, its category's, global and the
 * job's `AUTOMN_JOB_VAR_*`, merged by the host) as the environment of the script, as Automn's runner
 * sets them. Only the environment: no value is ever part of the code or a command line. An entry
 * without a name is skipped as Automn skips it; a name that is not an environment variable's is
 * refused (Automn would hand it to the OS as is).
 */
export function scriptVariables(list: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (!Array.isArray(list)) return env;
  let bytes = 0;
  for (const v of list as { envName?: unknown; value?: unknown }[]) {
    if (!v || typeof v !== 'object' || !v.envName) continue;
    const name = String(v.envName);
    if (!ENV_NAME.test(name)) {
      throw new Error(`Invalid variable name ${JSON.stringify(name.slice(0, 130))}: letters, digits and _, not starting with a digit`);
    }
    const value = v.value === undefined || v.value === null ? '' : typeof v.value === 'object' ? JSON.stringify(v.value) : String(v.value);
    if (value.includes('\0')) throw new Error(`Variable ${name} holds a NUL character`);
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
    if (bytes > MAX_VARIABLES_BYTES) throw new Error(`The script's variables are larger than ${MAX_VARIABLES_BYTES} bytes`);
    env[name] = value;
  }
  return env;
}
