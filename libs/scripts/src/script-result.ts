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
}

export interface ScriptNotification {
  audience: string | null;
  message: string;
  level: string;
  order: number;
}

/** What a script's stdout says besides its text, read the way Automn reads it. */
export interface ScriptOutput {
  /** The first return marker's value (Automn counts only the first). */
  returnData: unknown;
  returned: boolean;
  returnError: string | null;
  logs: ScriptLog[];
  notifications: ScriptNotification[];
  /** stdout without the marker lines. */
  stdout: string;
}

const LOG_LEVELS = ['info', 'warn', 'error', 'success', 'debug'];

function levelOf(v: unknown, known: string[]): string {
  const l = typeof v === 'string' ? v.trim().toLowerCase() : '';
  if (l === 'warning') return 'warn';
  return known.includes(l) ? l : 'info';
}

const asObject = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export function parseScriptOutput(stdout: string): ScriptOutput {
  const out: ScriptOutput = { returnData: null, returned: false, returnError: null, logs: [], notifications: [], stdout: '' };
  const kept: string[] = [];
  for (const line of stdout.split('\n')) {
    const marker = [RETURN_MARKER, LOG_MARKER, NOTIFY_MARKER].find((m) => line.includes(m));
    if (!marker) {
      kept.push(line);
      continue;
    }
    const at = line.indexOf(marker);
    const payload = line.slice(at + marker.length).replace(/\r$/, '');
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch (e) {
      if (marker === RETURN_MARKER && !out.returned) {
        out.returned = true;
        out.returnError = `the return value is not JSON: ${(e as Error).message}`;
      } else if (marker !== RETURN_MARKER) kept.push(line);
      continue;
    }
    if (at > 0) kept.push(line.slice(0, at));
    if (marker === RETURN_MARKER) {
      if (!out.returned) Object.assign(out, { returned: true, returnData: value });
    } else if (marker === LOG_MARKER) {
      const v = asObject(value);
      out.logs.push({
        message: v.message === undefined || v.message === null ? '' : String(v.message),
        level: levelOf(v.level, LOG_LEVELS),
        type: typeof v.type === 'string' && v.type.trim() ? v.type.trim().toLowerCase() : 'general',
        context: v.context ?? {},
        order: out.logs.length,
      });
    } else if (out.notifications.length < MAX_NOTIFICATIONS) {
      const v = asObject(value);
      out.notifications.push({
        audience: typeof v.audience === 'string' ? v.audience.slice(0, 256) : null,
        message: String(v.message ?? v.text ?? '').slice(0, 2000),
        level: levelOf(v.level, ['info', 'warn', 'error']),
        order: out.notifications.length,
      });
    }
  }
  out.stdout = kept.join('\n');
  return out;
}

/**
 * A finished script run's result: its return value from the file it left in RUNYARD_RESULT_FILE,
 * else from Automn's return marker; its structured logs and notifications from the markers.
 */
export function scriptResult(stdout: string, resultFile: Buffer | null): Record<string, unknown> {
  const parsed = parseScriptOutput(stdout);
  let returnData = parsed.returnData;
  let returnError = parsed.returnError;
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
