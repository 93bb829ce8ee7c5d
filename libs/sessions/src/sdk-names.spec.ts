import { defaultSessionName, isDefaultSessionName, parseObjectKey, SESSION_NAME } from './sdk-names';
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

describe('session names', () => {
  it("take Flame's session ids up to 128 characters, without spaces, slashes or a leading dash", () => {
    for (const ok of ['test-class-session-001', 'x'.repeat(128), 'v1.2_run']) expect(SESSION_NAME.test(ok)).toBe(true);
    for (const bad of ['', 'x'.repeat(129), 'two words', '-dash', '../x', 'a/b', 'a\nb']) expect(SESSION_NAME.test(bad)).toBe(false);
  });

  it("know Runyard's own form {app}-{number} for the application only", () => {
    expect(defaultSessionName('my-app', 7)).toBe('my-app-7');
    expect(isDefaultSessionName('my-app', 'my-app-7')).toBe(true);
    expect(isDefaultSessionName('my', 'my-app-7')).toBe(false);
    expect(isDefaultSessionName('my-app', 'my-app-07')).toBe(false);
    expect(isDefaultSessionName('my-app', 'my-app-x7')).toBe(false);
  });
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
