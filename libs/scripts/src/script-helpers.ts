/**
 * Automn's script helpers (`AutomnReturn`, `AutomnLog`, `AutomnNotify`, `AutomnRunLog`: values as
 * pretty JSON, in shell one per line, as Automn prints them), so scripts written for Automn run
 * unchanged. They are constant files written beside the script, never spliced into its code: each
 * prints the stdout markers Runyard reads back (script-result.ts).
 */
export const NODE_HELPERS = `'use strict';
const mark = (marker, value) => process.stdout.write(marker + JSON.stringify(value === undefined ? null : value) + '\\n');
const text = (value) => {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
};
globalThis.AutomnRunId = process.env.AUTOMN_RUN_ID || null;
globalThis.AutomnReturn = (data) => mark('__SCRIPTRETURN__', data);
globalThis.AutomnLog = (message, level = 'info', context = {}, type = 'general') => mark('__SCRIPTLOG__', { message, level, context, type });
globalThis.AutomnNotify = (audience, message, level = 'info') => mark('__SCRIPTNOTIFY__', { audience, message, level });
globalThis.AutomnRunLog = (...values) => process.stdout.write(values.map(text).join(' ') + '\\n');
// ES modules ignore NODE_PATH (where an agent installs a script's npm packages): a bare name that does not
// resolve from the script is looked up there too, as require() does.
if (process.env.NODE_PATH) {
  const base = require('node:url').pathToFileURL(process.env.NODE_PATH.split(require('node:path').delimiter)[0] + '/').href;
  const hook =
    'export async function resolve(name, context, next) {' +
    '  try { return await next(name, context); } catch (e) {' +
    '    if (e?.code !== "ERR_MODULE_NOT_FOUND" || name.startsWith(".") || name.startsWith("/") || name.includes(":")) throw e;' +
    '    try { return await next(name, { ...context, parentURL: ' + JSON.stringify(base) + ' }); } catch { throw e; }' +
    '  }' +
    '}';
  require('node:module').register('data:text/javascript,' + encodeURIComponent(hook));
}
`;

/** Runs the script named by its first argument with the helpers among its globals. */
export const PYTHON_HELPERS = `import json, os, runpy, sys

def _mark(marker, value):
    print(marker + json.dumps(value), flush=True)

def AutomnReturn(data):
    _mark("__SCRIPTRETURN__", data)

def AutomnLog(message, level="info", context=None, log_type="general"):
    _mark("__SCRIPTLOG__", {"message": message, "level": level, "context": context, "type": log_type})

def AutomnNotify(audience, message, level="info"):
    _mark("__SCRIPTNOTIFY__", {"audience": audience, "message": message, "level": level})

def _run_log_text(value):
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2)
    except Exception:
        return str(value)

def AutomnRunLog(*values):
    print(" ".join(_run_log_text(v) for v in values), flush=True)

script = sys.argv[1]
sys.argv = sys.argv[1:]
helpers = {"AutomnReturn": AutomnReturn, "AutomnLog": AutomnLog, "AutomnNotify": AutomnNotify, "AutomnRunLog": AutomnRunLog,
           "AUTOMN_RUN_ID": os.environ.get("AUTOMN_RUN_ID")}
runpy.run_path(script, init_globals=helpers, run_name="__main__")
`;

/** Sources the script named by its first argument after defining the helpers (bash). */
export const SHELL_HELPERS = `automn_json_string() {
  local s=$1
  s=\${s//\\\\/\\\\\\\\}; s=\${s//\\"/\\\\\\"}; s=\${s//$'\\n'/\\\\n}; s=\${s//$'\\r'/\\\\r}; s=\${s//$'\\t'/\\\\t}
  printf '"%s"' "$s"
}
automn_json() {
  case $1 in
    '{'*|'['*|'"'*|true|false|null|-[0-9]*|[0-9]*) printf '%s' "$1" ;;
    *) automn_json_string "$1" ;;
  esac
}
AutomnReturn() { printf '__SCRIPTRETURN__%s\\n' "$(automn_json "\${1-null}")"; }
AutomnLog() {
  printf '__SCRIPTLOG__{"message":%s,"level":%s,"context":%s,"type":%s}\\n' \\
    "$(automn_json_string "$1")" "$(automn_json_string "\${2:-info}")" "$(automn_json "\${3:-null}")" "$(automn_json_string "\${4:-general}")"
}
AutomnNotify() {
  printf '__SCRIPTNOTIFY__{"audience":%s,"message":%s,"level":%s}\\n' \\
    "$(automn_json "$1")" "$(automn_json_string "$2")" "$(automn_json_string "\${3:-info}")"
}
AutomnRunLog() { printf '%s\\n' "$@"; }
automn_script=$1
shift
. "./$automn_script"
`;
