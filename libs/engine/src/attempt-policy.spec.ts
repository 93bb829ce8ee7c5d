import { DEFAULT_RETRY } from '@runyard/config';
import { retryDelay, timeoutDetail } from './attempt-policy';

describe('retryDelay', () => {
  it('by default tries a launch that could not reach its host again, backing off, three times', () => {
    expect([1, 2, 3, 4].map((a) => retryDelay(undefined, a, 'launch_failed'))).toEqual([5000, 10000, 20000, null]);
    expect(retryDelay(DEFAULT_RETRY, 1, 'failed')).toBeNull();
    expect(retryDelay(DEFAULT_RETRY, 1, 'lost')).toBeNull();
  });

  it('follows the profile: fixed delays, the causes it names, its number of retries', () => {
    const policy = { max: 2, backoff: 'fixed' as const, delayMs: 3000, on: ['failed' as const, 'lost' as const] };
    expect([1, 2, 3].map((a) => retryDelay(policy, a, 'failed'))).toEqual([3000, 3000, null]);
    expect(retryDelay(policy, 1, 'launch_failed')).toBeNull();
  });
});

describe('timeoutDetail', () => {
  it('says how long the run was given, in words', () => {
    expect(timeoutDetail(10_000)).toBe('timed out after 10 s');
    expect(timeoutDetail(3 * 3600_000)).toBe('timed out after 3 h');
  });
});
