import type { ApiToken } from '@runyard/persistence';
import { ownerProblem } from './schedule-owners';

const token = (over: Partial<ApiToken>): ApiToken =>
  ({ id: 'abc', name: 'night-shift', role: 'operator', revokedAt: null, ...over }) as ApiToken;

describe("a schedule's owner", () => {
  it('may fire it while its token is valid with operator or admin', () => {
    expect(ownerProblem('abc', token({}))).toBeNull();
    expect(ownerProblem('abc', token({ role: 'admin' }))).toBeNull();
  });

  it('may not once the token is revoked, gone, or only a viewer', () => {
    expect(ownerProblem('abc', token({ revokedAt: new Date() }))).toBe("its owner's token night-shift was revoked");
    expect(ownerProblem('abc', null)).toBe("its owner's token abc no longer exists");
    expect(ownerProblem('abc', token({ role: 'viewer' }))).toBe("its owner's token night-shift has role viewer, not operator");
  });
});
