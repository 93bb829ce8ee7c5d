/** Automn's stdout markers: the rest of the line after one is JSON. */
export const RETURN_MARKER = '__SCRIPTRETURN__';
export const LOG_MARKER = '__SCRIPTLOG__';
export const NOTIFY_MARKER = '__SCRIPTNOTIFY__';

/** Most result files are small JSON documents; a larger one is refused rather than stored. */
export const MAX_RESULT_FILE_BYTES = 1024 * 1024;
const MAX_NOTIFICATIONS = 50;

export interface ScriptLog {
  message: string;
  level: string;
  type: string;
  context: unknown;
  order: number;
  /** When the output was read (Automn stamps its logs then too). */
  timestamp: string;
}

export interface ScriptNotification {
  audience: string | null;
  message: string;
  level: string;
  order: number;
  /** The marker's JSON as the script printed it. */
  raw: unknown;
  timestamp: string;
}

/** What a script's stdout says besides its text, read the way Automn's runner reads it. */
export interface ScriptOutput {
  /** The first return marker's value (Automn reads only the first; later ones stay text). */
  returnData: unknown;
  returned: boolean;
  /** Why the first return marker's value is not JSON (JSON.parse's message), or null. */
  returnError: string | null;
  logs: ScriptLog[];
  notifications: ScriptNotification[];
  /** stdout with the return line taken out and the log and notification markers cut out of theirs (their lines stay, empty). */
  stdout: string;
}

const asObject = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function logLevel(v: unknown): string {
  const l = typeof v === 'string' ? v.trim().toLowerCase() : '';
  if (l === 'warning') return 'warn';
  return ['warn', 'error', 'success', 'debug'].includes(l) ? l : 'info';
}

function logType(v: unknown): string {
  const t = text(v) ?? text(asObject(v).category);
  return t?.trim().toLowerCase() || 'general';
}

function logContext(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  return v === undefined || v === null ? {} : { value: v };
}

/** The first return marker: its line leaves the text (what stood before the marker joins the next line, as in Automn). */
function takeReturn(out: ScriptOutput, stdout: string): string {
  const at = stdout.indexOf(RETURN_MARKER);
  if (at === -1) return stdout;
  const after = stdout.slice(at + RETURN_MARKER.length);
  const nl = after.indexOf('\n');
  const payload = (nl === -1 ? after : after.slice(0, nl)).replace(/\r$/, '');
  out.returned = true;
  try {
    out.returnData = JSON.parse(payload);
  } catch (e) {
    out.returnError = (e as Error).message;
  }
  return stdout.slice(0, at) + (nl === -1 ? '' : after.slice(nl + 1));
}

/** Cuts each `marker{json}` out of the text (its line break stays); a payload that is not JSON stays as it was. */
function takeMarked(stdout: string, marker: string, take: (value: unknown, payload: string) => string | null): string {
  let kept = '';
  let rest = stdout;
  for (;;) {
    const at = rest.indexOf(marker);
    if (at === -1) return kept + rest;
    kept += rest.slice(0, at);
    rest = rest.slice(at + marker.length);
    const nl = rest.indexOf('\n');
    const payload = (nl === -1 ? rest : rest.slice(0, nl)).replace(/\r$/, '');
    rest = nl === -1 ? '' : rest.slice(nl + 1);
    let value: unknown;
    let parsed = true;
    try {
      value = JSON.parse(payload);
    } catch {
      parsed = false;
    }
    kept += parsed ? (take(value, payload) ?? '') : marker + payload;
    if (nl !== -1) kept += '\n';
  }
}

export function parseScriptOutput(stdout: string): ScriptOutput {
  const out: ScriptOutput = { returnData: null, returned: false, returnError: null, logs: [], notifications: [], stdout: '' };
  const timestamp = new Date().toISOString();
  let rest = takeReturn(out, stdout);
  rest = takeMarked(rest, NOTIFY_MARKER, (value, payload) => {
    // Past the cap Automn keeps the payload as text, without its marker.
    if (out.notifications.length >= MAX_NOTIFICATIONS) return payload;
    const v = asObject(value);
    const audience = (text(v.audience) ?? text(v.target) ?? text(v.user) ?? text(v.scope))?.trim().slice(0, 256) || null;
    const message = v.message ?? v.text;
    const level = String(text(v.level) ?? text(v.type) ?? 'info')
      .trim()
      .toLowerCase();
    out.notifications.push({
      order: out.notifications.length,
      audience,
      message: message === undefined || message === null ? '' : String(message).slice(0, 2000),
      level: level === 'warn' || level === 'error' ? level : 'info',
      raw: value,
      timestamp,
    });
    return null;
  });
  rest = takeMarked(rest, LOG_MARKER, (value) => {
    const v = asObject(value);
    out.logs.push({
      message: v.message === undefined || v.message === null ? '' : String(v.message),
      level: logLevel(v.level),
      type: logType(v.type ?? v.category),
      context: logContext(v.context),
      order: out.logs.length,
      timestamp,
    });
    return null;
  });
  // A return line leaves no blank first line behind (Automn's display rule).
  out.stdout = out.returned ? rest.replace(/^\s*\n/, '') : rest;
  return out;
}

/**
 * A finished script run's result: its return value from the file it left in RUNYARD_RESULT_FILE,
 * else from Automn's return marker; its structured logs and notifications from the markers.
 */
export function scriptResult(stdout: string, resultFile: Buffer | null): Record<string, unknown> {
  const parsed = parseScriptOutput(stdout);
  let returnData = parsed.returnData;
  let returnError = parsed.returnError === null ? null : `the return value is not JSON: ${parsed.returnError}`;
  if (resultFile !== null) {
    returnError = null;
    if (resultFile.length > MAX_RESULT_FILE_BYTES) {
      returnData = null;
      returnError = `RUNYARD_RESULT_FILE is larger than ${MAX_RESULT_FILE_BYTES} bytes`;
    } else {
      try {
        returnData = JSON.parse(resultFile.toString('utf8'));
      } catch (e) {
        returnData = null;
        returnError = `RUNYARD_RESULT_FILE is not JSON: ${(e as Error).message}`;
      }
    }
  }
  return {
    return_data: returnData ?? null,
    ...(returnError ? { return_error: returnError } : {}),
    logs: parsed.logs,
    notifications: parsed.notifications,
  };
}
