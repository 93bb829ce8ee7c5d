import {
  formatDuration,
  formatRunsTable,
  formatSchedulesTable,
  formatTable,
  formatTime,
  RunRow,
  ScheduleRow,
  statusText,
  styleFor,
} from './format';
import { exitCodeOf } from './follow';

const plain = { color: false };
const colored = { color: true };

describe('formatTable', () => {
  it('aligns columns on the widest cell, two spaces apart, without trailing blanks', () => {
    expect(
      formatTable(
        ['ID', 'NAME', 'X'],
        [
          ['1', 'a', ''],
          ['12', 'longer', 'z'],
        ],
      ),
    ).toBe('ID  NAME    X\n1   a\n12  longer  z\n');
  });

  it('ignores ANSI escapes when measuring widths', () => {
    const out = formatTable(['S', 'N'], [[statusText(colored, 'COMPLETED'), '1']]);
    expect(out).toBe('S          N\n\x1b[32mCOMPLETED\x1b[0m  1\n');
  });
});

describe('formatRunsTable', () => {
  const run = (over: Partial<RunRow>): RunRow => ({
    id: 1,
    kind: 'run',
    expid: 'a001',
    profile: 'LOCAL',
    status: 'COMPLETED',
    exit_code: 0,
    created_at: '2026-01-02T03:04:05.678Z',
    started_at: '2026-01-02T03:04:06.000Z',
    finished_at: '2026-01-02T03:04:08.500Z',
    ...over,
  });

  it('shows one line per run, with dashes for what is unknown and how long a queued run has waited', () => {
    const out = formatRunsTable(
      [
        run({}),
        run({ id: 2, status: 'QUEUED', exit_code: null, started_at: null, finished_at: null, expid: null }),
        // A queue timeout: never started, and how long it waited is its duration.
        run({ id: 3, status: 'FAILED', exit_code: null, started_at: null, finished_at: '2026-01-02T03:04:10.678Z' }),
      ],
      plain,
      Date.parse('2026-01-02T03:04:15.678Z'),
      'UTC',
    );
    expect(out.split('\n')).toEqual([
      'ID  KIND  EXPID  PROFILE  STATUS     EXIT  CREATED                     DURATION',
      '1   run   a001   LOCAL    COMPLETED  0     2026-01-02 03:04:05 +00:00  2.5s',
      '2   run   -      LOCAL    QUEUED     -     2026-01-02 03:04:05 +00:00  10.0s',
      '3   run   a001   LOCAL    FAILED     -     2026-01-02 03:04:05 +00:00  5.0s',
      '',
    ]);
  });

  it('colours statuses only when asked to', () => {
    expect(formatRunsTable([run({ status: 'FAILED', exit_code: 3 })], colored)).toContain('\x1b[31mFAILED\x1b[0m');
    expect(formatRunsTable([run({ status: 'FAILED', exit_code: 3 })], plain)).not.toContain('\x1b');
    expect(formatRunsTable([], plain)).toBe('no runs\n');
  });
});

describe('formatTime', () => {
  it('writes the time in the terminal time zone, with that zone’s offset then', () => {
    expect(formatTime('2026-12-01T13:35:29+00:00', 'Europe/Madrid')).toBe('2026-12-01 14:35:29 +01:00');
    expect(formatTime('2026-07-01T13:35:29.123Z', 'Europe/Madrid')).toBe('2026-07-01 15:35:29 +02:00');
    expect(formatTime('2026-12-01T13:35:29+00:00', 'UTC')).toBe('2026-12-01 13:35:29 +00:00');
    expect(formatTime('2026-12-01T13:35:29Z', 'Asia/Kolkata')).toBe('2026-12-01 19:05:29 +05:30');
    expect(formatTime('2026-12-01T13:35:29Z', 'America/New_York')).toBe('2026-12-01 08:35:29 -05:00');
    expect(formatTime(null)).toBe('-');
  });
});

describe('styles', () => {
  it('colours on a terminal only, and never with NO_COLOR', () => {
    expect(styleFor({ isTTY: true }, {})).toEqual({ color: true });
    expect(styleFor({ isTTY: false }, {})).toEqual({ color: false });
    expect(styleFor({}, {})).toEqual({ color: false });
    expect(styleFor({ isTTY: true }, { NO_COLOR: '1' })).toEqual({ color: false });
    expect(styleFor({ isTTY: true }, { NO_COLOR: '' })).toEqual({ color: true });
  });

  it('colours each outcome', () => {
    expect(statusText(colored, 'COMPLETED')).toBe('\x1b[32mCOMPLETED\x1b[0m');
    expect(statusText(colored, 'LOST')).toBe('\x1b[31mLOST\x1b[0m');
    expect(statusText(colored, 'TERMINATED')).toBe('\x1b[33mTERMINATED\x1b[0m');
    expect(statusText(colored, 'ACTIVE')).toBe('\x1b[36mACTIVE\x1b[0m');
    expect(statusText(colored, 'QUEUED')).toBe('QUEUED');
    expect(statusText(plain, null)).toBe('-');
  });

  it('writes durations briefly', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(2500)).toBe('2.5s');
    expect(formatDuration(61_000)).toBe('1m1s');
    expect(formatDuration(3_723_000)).toBe('1h2m');
    expect(formatDuration(null)).toBe('-');
  });
});

describe('exitCodeOf', () => {
  it('is the run exit code, 1 for a failure without one, 130 for a stopped run', () => {
    expect(exitCodeOf({ status: 'COMPLETED', code: 0 })).toBe(0);
    expect(exitCodeOf({ status: 'FAILED', code: 3 })).toBe(3);
    expect(exitCodeOf({ status: 'FAILED', code: null })).toBe(1);
    expect(exitCodeOf({ status: 'LOST', code: null })).toBe(1);
    expect(exitCodeOf({ status: 'TERMINATED', code: 143 })).toBe(130);
  });
});

describe('formatSchedulesTable', () => {
  const schedule = (over: Partial<ScheduleRow>): ScheduleRow => ({
    name: 'nightly',
    cron: '0 3 * * *',
    timezone: 'Europe/Madrid',
    expid: 'a001',
    profile_name: 'LOCAL',
    overlap: 'skip',
    paused: false,
    waiting_since: null,
    next_fires: ['2026-01-02T02:00:00.000Z', '2026-01-03T02:00:00.000Z'],
    fires: 4,
    skips: 1,
    last_skip_at: '2026-01-01T02:00:01.000Z',
    ...over,
  });

  it('shows one line per schedule with its state, next fire (in the given time zone), runs and skips', () => {
    const out = formatSchedulesTable(
      [
        schedule({}),
        schedule({ name: 'q', overlap: 'queue', waiting_since: '2026-01-01T00:00:00Z', skips: 0, last_skip_at: null }),
        schedule({ name: 'off', paused: true, next_fires: [] }),
        schedule({ name: 'orphan', paused: true, paused_reason: "its owner's token nightly-ci was revoked", next_fires: [] }),
      ],
      'UTC',
    ).split('\n');
    expect(out[0]).toMatch(/^NAME\s+CRON\s+TIMEZONE\s+EXPID\s+PROFILE\s+OVERLAP\s+STATE\s+NEXT FIRE\s+RUNS\s+SKIPS\s+LAST SKIP$/);
    expect(out[1]).toMatch(
      /^nightly\s+0 3 \* \* \*\s+Europe\/Madrid\s+a001\s+LOCAL\s+skip\s+active\s+2026-01-02 02:00:00 \+00:00\s+4\s+1\s+2026-01-01 02:00:01 \+00:00$/,
    );
    expect(out[2]).toMatch(/^q\s+.*\squeue\s+waiting\s+2026-01-02 02:00:00 \+00:00\s+4\s+0\s+-$/);
    expect(out[3]).toMatch(/^off\s+.*\sskip\s+paused\s+-\s+4\s+1\s+/);
    expect(out[4]).toMatch(/^orphan\s+.*\sskip\s+paused: its owner's token nightly-ci was revoked\s+-\s+4\s+1\s+/);
  });

  it('says so when there are none', () => expect(formatSchedulesTable([])).toBe('no schedules\n'));
});
