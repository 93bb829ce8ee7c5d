import { parseObjectKey } from './sdk-names';
import { newExecutorCredential, parseExecutorToken, sameExecutorSecret } from './executor-credentials';

describe('parseObjectKey', () => {
  it("reads Flame's layout {app}/{session}/{name}, and {app}/shared/{name}", () => {
    expect(parseObjectKey('counter-app/12/0f3a')).toEqual({ app: 'counter-app', session: 12, name: '0f3a' });
    expect(parseObjectKey('counter-app/shared/0f3a')).toEqual({ app: 'counter-app', session: 'shared', name: '0f3a' });
  });

  it.each(['../etc/1/x', 'app/1/../x', 'app/01/x', 'app/1', 'app/1/x/y', 'app/one/x', '.././x', 'app/1/.hidden', 42])(
    'refuses %p',
    (key) => {
      expect(parseObjectKey(key)).toBeNull();
    },
  );
});

describe('executor credentials', () => {
  it('name their executor and check only against their own secret', () => {
    const a = newExecutorCredential();
    const b = newExecutorCredential();
    const parsed = parseExecutorToken(a.token)!;
    expect(parsed.id).toBe(a.id);
    expect(sameExecutorSecret(parsed.secret, a.secretSha256)).toBe(true);
    expect(sameExecutorSecret(parsed.secret, b.secretSha256)).toBe(false);
    expect(parseExecutorToken('ry_abcdefabcdef_' + 'x'.repeat(43))).toBeNull();
  });
});
