/** Input formats of the Runner SDK's names, checked before anything is stored or used in a path. */
export const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SHA256 = /^[0-9a-f]{64}$/;
/** The last part of an object key (`{app}/{session}/{name}`): a uuid the client made, `service`, `state`, … */
export const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const METHOD_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;
/**
 * A session's name, unique within its application (Flame's `SessionContext.session_id`, at most 128
 * characters as Flame's): letters, digits, '.', '_' and '-', so that it is safe in a URL, a log line and
 * a shell. Keys and credentials use the session's number, never its name.
 */
export const SESSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** The name Runyard gives a session its client did not name; no client may choose one of this form. */
export const defaultSessionName = (app: string, id: number): string => `${app}-${id}`;
export const isDefaultSessionName = (app: string, name: string): boolean =>
  name.startsWith(`${app}-`) && /^[1-9][0-9]{0,17}$/.test(name.slice(app.length + 1));
/** Session ids in keys are numbers; `shared` holds what a client put before any session (Flame's `{app}/shared`). */
export const SHARED = 'shared';

export const isAppName = (v: unknown): v is string => typeof v === 'string' && APP_NAME.test(v) && v !== '.' && v !== '..';

/** Flame's key layout; the parts are checked by the caller. */
export const objectKey = (app: string, session: number | typeof SHARED, name: string): string => `${app}/${session}/${name}`;

/** `{app}/{session|shared}/{name}` split and checked; null when it is not a key Runyard makes. */
export function parseObjectKey(key: unknown): { app: string; session: number | typeof SHARED; name: string } | null {
  if (typeof key !== 'string') return null;
  const parts = key.split('/');
  if (parts.length !== 3) return null;
  const [app, session, name] = parts;
  if (!isAppName(app) || !OBJECT_NAME.test(name)) return null;
  if (session === SHARED) return { app, session, name };
  return /^[1-9][0-9]{0,17}$/.test(session) ? { app, session: Number(session), name } : null;
}
