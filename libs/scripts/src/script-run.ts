import type { RunFile } from '@runyard/persistence';
import { NODE_HELPERS, PYTHON_HELPERS, SHELL_HELPERS } from './script-helpers';

export const SCRIPT_LANGUAGES = ['node', 'python', 'shell'] as const;
export type ScriptLanguage = (typeof SCRIPT_LANGUAGES)[number];

/** Larger code or input is refused (400): the input travels in an environment variable, and Linux caps one at 128 KiB. */
export const MAX_CODE_BYTES = 512 * 1024;
export const MAX_INPUT_BYTES = 96 * 1024;
/** A script's wall-clock limit may be at most a week. */
export const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;

/** What a script run executes: Automn's script object, as Runyard keeps it. */
export interface Script {
  language: ScriptLanguage;
  code: string;
  input: unknown;
  /** Seconds of wall-clock time before it is stopped; unset: no limit. */
  timeout?: number;
}

/** A script as a generic command: the interpreter, its arguments, the files of the run directory and the environment. */
export interface ScriptCommand {
  program: string;
  args: string[];
  files: RunFile[];
  env: Record<string, string>;
  timeoutMs?: number;
}

/** Bad script input (unknown language, code too large …): answered with 400. */
export class ScriptInputError extends Error {}

interface LanguageSpec {
  program: string;
  helpers: { name: string; text: string };
  codeFile(code: string): string;
  args(codeFile: string, helpers: string): string[];
}

// ES module syntax at the start of a line: Node needs the .mjs extension for it (as Automn does).
const ESM = /^\s*(import\s*[\w{*'"]|export\s)/m;

const LANGUAGES: Record<ScriptLanguage, LanguageSpec> = {
  node: {
    program: 'node',
    helpers: { name: 'automn-helpers.cjs', text: NODE_HELPERS },
    codeFile: (code) => (ESM.test(code) ? 'script.mjs' : 'script.cjs'),
    args: (file, helpers) => ['--require', `./${helpers}`, `./${file}`],
  },
  python: {
    program: 'python3',
    helpers: { name: 'automn_helpers.py', text: PYTHON_HELPERS },
    codeFile: () => 'script.py',
    args: (file, helpers) => [helpers, file],
  },
  shell: {
    program: 'bash',
    helpers: { name: 'automn-helpers.sh', text: SHELL_HELPERS },
    codeFile: () => 'script.sh',
    args: (file, helpers) => [helpers, file],
  },
};

const CODE_FILES: Record<string, ScriptLanguage> = {
  'script.cjs': 'node',
  'script.mjs': 'node',
  'script.py': 'python',
  'script.sh': 'shell',
};

export const isScriptLanguage = (v: unknown): v is ScriptLanguage =>
  typeof v === 'string' && (SCRIPT_LANGUAGES as readonly string[]).includes(v);

/**
 * The command of a script run. The code goes into a file of the run directory and the input only
 * into the environment (INPUT_JSON, AUTOMN_INPUT_JSON): neither is ever part of a command line.
 */
export function scriptCommand(script: Script): ScriptCommand {
  if (!isScriptLanguage(script.language)) {
    throw new ScriptInputError(`language must be one of ${SCRIPT_LANGUAGES.join(', ')} (got ${JSON.stringify(script.language)})`);
  }
  if (typeof script.code !== 'string') throw new ScriptInputError('code must be a string');
  if (Buffer.byteLength(script.code) > MAX_CODE_BYTES) throw new ScriptInputError(`code is larger than ${MAX_CODE_BYTES} bytes`);
  const input = JSON.stringify(script.input ?? {});
  if (Buffer.byteLength(input) > MAX_INPUT_BYTES) throw new ScriptInputError(`input is larger than ${MAX_INPUT_BYTES} bytes as JSON`);
  const t = script.timeout;
  if (t !== undefined && (!Number.isInteger(t) || t < 1 || t > MAX_TIMEOUT_SECONDS)) {
    throw new ScriptInputError(`timeout must be whole seconds from 1 to ${MAX_TIMEOUT_SECONDS}`);
  }
  const lang = LANGUAGES[script.language];
  const codeFile = lang.codeFile(script.code);
  return {
    program: lang.program,
    args: lang.args(codeFile, lang.helpers.name),
    files: [
      { name: codeFile, content: Buffer.from(script.code).toString('base64') },
      { name: lang.helpers.name, content: Buffer.from(lang.helpers.text).toString('base64') },
    ],
    env: { INPUT_JSON: input, AUTOMN_INPUT_JSON: input },
    timeoutMs: t === undefined ? undefined : t * 1000,
  };
}

/** The script a script run's settings hold (for runners that take Automn's script object instead of a command), or null. */
export function scriptOf(settings: { files?: RunFile[]; env?: Record<string, string>; timeoutMs?: number }): Script | null {
  const file = settings.files?.find((f) => f.name in CODE_FILES);
  if (!file) return null;
  let input: unknown = {};
  try {
    input = JSON.parse(settings.env?.INPUT_JSON ?? '{}');
  } catch {
    /* not written by scriptCommand */
  }
  return {
    language: CODE_FILES[file.name],
    code: Buffer.from(file.content, 'base64').toString('utf8'),
    input,
    timeout: settings.timeoutMs === undefined ? undefined : Math.ceil(settings.timeoutMs / 1000),
  };
}
