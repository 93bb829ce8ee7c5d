import { formatTokensTable, TokenRow, tokenNamed } from './token-commands';

const token = (over: Partial<TokenRow>): TokenRow => ({
  id: 'abc123def456',
  name: 'ci',
  role: 'operator',
  created_at: '2026-12-07T04:00:00.000Z',
  created_by: 'admin',
  last_used_at: null,
  revoked_at: null,
  ...over,
});

describe('runyard tokens', () => {
  it('lists tokens with their role, who made them and when, times with their offset', () => {
    expect(
      formatTokensTable(
        [token({}), token({ id: 'zzz', name: 'old', role: 'viewer', revoked_at: '2026-12-07T05:00:00Z' })],
        { color: false },
        'UTC',
      ),
    ).toBe(
      [
        'ID            NAME  ROLE      CREATED                     BY     LAST USED  REVOKED',
        'abc123def456  ci    operator  2026-12-07 04:00:00 +00:00  admin  -          -',
        'zzz           old   viewer    2026-12-07 04:00:00 +00:00  admin  -          2026-12-07 05:00:00 +00:00',
        '',
      ].join('\n'),
    );
    expect(formatTokensTable([], { color: false })).toBe('no tokens\n');
  });

  it('finds a token by its name or its id, an active one first', () => {
    const tokens = [token({ id: 'old1', revoked_at: '2026-12-07T05:00:00Z' }), token({ id: 'new1' })];
    expect(tokenNamed(tokens, 'ci')?.id).toBe('new1');
    expect(tokenNamed(tokens, 'old1')?.id).toBe('old1');
    expect(tokenNamed(tokens, 'nobody')).toBeUndefined();
  });
});
