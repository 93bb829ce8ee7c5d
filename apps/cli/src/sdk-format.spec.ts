import { formatApplicationsTable, formatBytes, formatSessionsTable } from './sdk-format';

describe('Runner SDK tables', () => {
  it('lists applications with their runtime, profile, open sessions, package and lease', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const text = formatApplicationsTable(
      [
        {
          name: 'counter-app',
          runtime: 'python',
          profile: 'LOCAL',
          package: { sha256: 'ab'.repeat(32), size: 2048 },
          open_sessions: 2,
          created_by: 'admin',
          lease_expires_at: '2026-01-01T00:00:42Z',
        },
      ],
      now,
    );
    expect(text).toBe(
      'NAME         RUNTIME  PROFILE  SESSIONS  PACKAGE               LEASE  BY\n' +
        'counter-app  python   LOCAL    2         abababababab 2.0 KiB  42s    admin\n',
    );
    expect(formatApplicationsTable([])).toBe('no applications\n');
  });

  it('lists sessions with their calls, executor runs and, once ended, why', () => {
    const text = formatSessionsTable(
      [
        {
          id: 7,
          name: 'nightly-sim',
          application: 'counter-app',
          kind: 'class',
          ordered: true,
          status: 'lost',
          detail: 'session 7 was lost: its executor (run 12) ended FAILED',
          calls: 3,
          finished_calls: 3,
          run_ids: [12, 13],
          created_at: '2026-01-01T00:00:00.000Z',
        },
      ],
      { color: false },
      'UTC',
    );
    expect(text).toContain(
      '7   nightly-sim  counter-app  class  ordered  lost    3/3    12,13  2026-01-01 00:00:00 +00:00  session 7 was lost',
    );
  });

  it('writes sizes in binary units', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(50 * 1024 * 1024)]).toEqual(['512 B', '1.5 KiB', '50.0 MiB']);
  });
});
