import { ensureCron, ensureMinInterval, ensureScheduleName, ensureTimezone, nextFires, ScheduleInputError } from './schedule-rules';

const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ScheduleInputError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('schedule names', () => {
  it.each(['nightly', 'a001-daily', 'N1.v2_b', '9'])('accepts %s', (name) => expect(ensureScheduleName(name)).toBe(name));

  it.each(['', '-x', '.hidden', 'a b', 'a/b', 'a:b', 'x'.repeat(65), 'é', 'a\nb'])('refuses %j', (name) =>
    expect(refusal(() => ensureScheduleName(name))).toMatch(/must be 1-64 letters, digits, \. _ -/),
  );
});

describe('time zones', () => {
  it.each(['UTC', 'Europe/Madrid', 'America/Argentina/Buenos_Aires', 'Etc/GMT+3'])('accepts %s', (tz) =>
    expect(ensureTimezone(tz)).toBe(tz),
  );

  it.each(['Mars/Olympus', 'Local', '+01:00', 'GMT+25', '', 'Europe/Madrid; rm -rf /'])('refuses %j naming it', (tz) =>
    expect(refusal(() => ensureTimezone(tz))).toBe(`unknown timezone ${JSON.stringify(tz)}: use an IANA name such as UTC or Europe/Madrid`),
  );
});

describe('cron expressions', () => {
  it('accepts 5 fields, 6 with seconds, aliases, and answers them with single spaces', () => {
    expect(ensureCron('0 3 * * *', 'UTC')).toBe('0 3 * * *');
    expect(ensureCron('*/2 * * * * *', 'UTC')).toBe('*/2 * * * * *');
    expect(ensureCron('  0   3 * *   MON-FRI ', 'UTC')).toBe('0 3 * * MON-FRI');
    expect(ensureCron('@daily', 'UTC')).toBe('@daily');
  });

  it("refuses a bad field with the parser's reason", () => {
    expect(refusal(() => ensureCron('61 * * * *', 'UTC'))).toBe(
      'cron "61 * * * *" is not valid: Constraint error, got value 61 expected range 0-59',
    );
    expect(refusal(() => ensureCron('a b c d e', 'UTC'))).toBe('cron "a b c d e" is not valid: Invalid characters, got value: a');
    expect(refusal(() => ensureCron('5-2 * * * *', 'UTC'))).toMatch(/^cron "5-2 \* \* \* \*" is not valid: Invalid range: 5-2/);
    expect(refusal(() => ensureCron('0 0 31 2 *', 'UTC'))).toMatch(/is not valid: Invalid explicit day of month definition/);
    expect(refusal(() => ensureCron('@fortnightly', 'UTC'))).toMatch(/is not valid: Validation error, cannot resolve alias/);
  });

  it('refuses the wrong number of fields, saying how many it needs', () => {
    expect(refusal(() => ensureCron('* * *', 'UTC'))).toBe(
      'cron "* * *" has 3 fields: it needs 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)',
    );
    expect(refusal(() => ensureCron('', 'UTC'))).toMatch(/^cron "" has 0 fields/);
    expect(refusal(() => ensureCron('* * * * * * *', 'UTC'))).toMatch(/has 7 fields/);
  });

  it('refuses hashed values, whose fire times change from one reading to the next', () => {
    expect(refusal(() => ensureCron('H 3 * * *', 'UTC'))).toBe('cron "H 3 * * *": hashed values (H) are not supported');
    expect(ensureCron('0 3 * * THU', 'UTC')).toBe('0 3 * * THU');
  });
});

describe('next fire times', () => {
  const at = (iso: string) => Date.parse(iso);
  const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

  it('counts seconds in 6-field expressions, strictly after the given time', () => {
    expect(iso(nextFires('*/2 * * * * *', 'UTC', 3, at('2026-01-01T00:00:02.000Z')))).toEqual([
      '2026-01-01T00:00:04.000Z',
      '2026-01-01T00:00:06.000Z',
      '2026-01-01T00:00:08.000Z',
    ]);
  });

  it("reads hours on the time zone's wall clock, across a daylight-saving change", () => {
    // Madrid is UTC+1 in winter and UTC+2 from 29 March 2026.
    expect(iso(nextFires('0 3 * * *', 'Europe/Madrid', 3, at('2026-03-27T12:00:00Z')))).toEqual([
      '2026-03-28T02:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T01:00:00.000Z',
    ]);
    expect(iso(nextFires('0 3 * * *', 'UTC', 1, at('2026-03-27T12:00:00Z')))).toEqual(['2026-03-28T03:00:00.000Z']);
  });

  it('follows day-of-week and month fields', () => {
    // 2026-01-01 is a Thursday.
    expect(iso(nextFires('30 6 * 1 MON', 'UTC', 2, at('2026-01-01T00:00:00Z')))).toEqual([
      '2026-01-05T06:30:00.000Z',
      '2026-01-12T06:30:00.000Z',
    ]);
  });
});

describe('the minimum interval between fires', () => {
  it.each(['* * * * *', '0 3 * * *', '*/30 * * * * *', '@daily'])('lets %j through a 30 s minimum', (cron) =>
    expect(() => ensureMinInterval(cron, 'UTC', 30)).not.toThrow(),
  );

  it('refuses a cron whose fires come closer than the minimum, naming the setting', () => {
    expect(refusal(() => ensureMinInterval('*/2 * * * * *', 'UTC', 60))).toBe(
      'cron "*/2 * * * * *" fires 2 s apart; schedules may fire at most every 60 s (SCHEDULE_MIN_INTERVAL_S)',
    );
  });

  it('finds the shortest gap of an irregular cron, not only the first', () => {
    // Minutes 0 and 1 of every hour: 60 s apart once an hour, 59 min otherwise.
    expect(refusal(() => ensureMinInterval('0,1 * * * *', 'UTC', 120))).toMatch(/fires 60 s apart/);
  });
});
