import { getNextMillis } from 'bullmq';

/** A schedule's name, cron or time zone that cannot be used: answered 400 with the reason. */
export class ScheduleInputError extends Error {}

/** Names appear in paths, job scheduler ids, metric labels and `requested_by`: no separators, no spaces. */
export const SCHEDULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TIMEZONE = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;
/** Jenkins' `H` (a hashed value) differs from one parse to the next: the fire times shown would not be the ones fired. */
const HASHED = /(^|[^A-Za-z])H/i;
const CRON_MAX_LENGTH = 128;

export const DEFAULT_TIMEZONE = 'UTC';

export function ensureScheduleName(name: string): string {
  if (!SCHEDULE_NAME.test(name)) {
    throw new ScheduleInputError(
      `schedule name ${JSON.stringify(name.slice(0, 80))} must be 1-64 letters, digits, . _ - (starting with a letter or digit)`,
    );
  }
  return name;
}

/** An IANA time zone, as the platform's time zone data knows it. */
export function ensureTimezone(timezone: string): string {
  const refused = new ScheduleInputError(
    `unknown timezone ${JSON.stringify(timezone.slice(0, 80))}: use an IANA name such as UTC or Europe/Madrid`,
  );
  if (!TIMEZONE.test(timezone)) throw refused;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw refused;
  }
  return timezone;
}

/**
 * A cron expression as BullMQ will read it: 5 fields (minute hour day-of-month month day-of-week),
 * 6 with seconds first, or an alias such as @daily. Parsed by the same function BullMQ's job
 * schedulers use (cron-parser), whose reason a refusal carries. Answers it with single spaces.
 */
export function ensureCron(cron: string, timezone: string): string {
  const fields = cron.trim().split(/\s+/);
  const shown = JSON.stringify(cron.slice(0, CRON_MAX_LENGTH));
  if (cron.length > CRON_MAX_LENGTH) throw new ScheduleInputError(`cron must be at most ${CRON_MAX_LENGTH} characters`);
  const alias = fields.length === 1 && fields[0].startsWith('@');
  if (!alias && fields.length !== 5 && fields.length !== 6) {
    throw new ScheduleInputError(
      `cron ${shown} has ${fields[0] === '' ? 0 : fields.length} fields: it needs 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`,
    );
  }
  if (fields.some((f) => HASHED.test(f))) throw new ScheduleInputError(`cron ${shown}: hashed values (H) are not supported`);
  const pattern = fields.join(' ');
  let next: number | undefined;
  try {
    next = getNextMillis(Date.now(), { pattern, tz: timezone });
  } catch (e) {
    throw new ScheduleInputError(`cron ${shown} is not valid: ${(e as Error).message}`);
  }
  if (next === undefined) throw new ScheduleInputError(`cron ${shown} never fires`);
  return pattern;
}

/** The next `count` fire times after `from`, as BullMQ's job scheduler computes them. */
export function nextFires(cron: string, timezone: string, count: number, from = Date.now()): Date[] {
  const fires: Date[] = [];
  let at = from;
  while (fires.length < count) {
    const next = getNextMillis(at, { pattern: cron, tz: timezone });
    if (next === undefined) break;
    fires.push(new Date(next));
    at = next;
  }
  return fires;
}

/** Fires looked at for a cron's shortest gap: its pattern repeats well within them. */
const GAP_SAMPLE = 50;

/** Refuses a cron whose fires can come closer together than `minSeconds` (SCHEDULE_MIN_INTERVAL_S). */
export function ensureMinInterval(cron: string, timezone: string, minSeconds: number): void {
  const fires = nextFires(cron, timezone, GAP_SAMPLE);
  const gaps = fires.slice(1).map((at, i) => at.getTime() - fires[i].getTime());
  const shortest = Math.min(...gaps);
  if (shortest < minSeconds * 1000) {
    throw new ScheduleInputError(
      `cron ${JSON.stringify(cron)} fires ${shortest / 1000} s apart; schedules may fire at most every ${minSeconds} s (SCHEDULE_MIN_INTERVAL_S)`,
    );
  }
}
