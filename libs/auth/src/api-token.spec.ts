import { newToken, parseToken, sameSecret, sha256 } from './api-token';

describe('API tokens', () => {
  it('are random, parse back into id and secret, and match only their own hash', () => {
    const a = newToken();
    const b = newToken();
    expect(a.token).not.toBe(b.token);
    expect(parseToken(a.token)).toEqual({ id: a.id, secret: a.secret });
    expect(sameSecret(a.secret, sha256(a.secret))).toBe(true);
    expect(sameSecret(b.secret, sha256(a.secret))).toBe(false);
  });

  it('refuse anything that is not a Runyard token', () => {
    for (const t of ['', 'Bearer x', 'ry_short_x', `ry_${'a'.repeat(12)}_${'b'.repeat(42)}`, `${newToken().token}x`]) {
      expect(parseToken(t)).toBeNull();
    }
  });
});
