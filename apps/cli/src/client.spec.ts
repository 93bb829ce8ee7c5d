import { errorLine } from './client';

describe('an error answer as one line', () => {
  it('says the error_message, then the detail when it adds something', () => {
    expect(errorLine(404, { error: true, error_message: 'run 9 does not exist' }, '')).toBe('run 9 does not exist');
    expect(errorLine(409, { error: true, error_message: 'cannot delete agent gpu1', detail: 'it holds 2 runs' }, '')).toBe(
      'cannot delete agent gpu1: it holds 2 runs',
    );
    expect(errorLine(400, { error_message: 'bad: x', detail: 'x' }, '')).toBe('bad: x');
    expect(errorLine(400, { error_message: 'first\n  second' }, '')).toBe('first second');
  });

  it("takes Automn's `error`, and the start of a body that is not JSON", () => {
    expect(errorLine(401, { error: 'Invalid runner secret', code: 'invalid_secret' }, '')).toBe('Invalid runner secret');
    expect(errorLine(502, '<html>Bad Gateway</html>', '<html>Bad Gateway</html>')).toBe('HTTP 502: <html>Bad Gateway</html>');
    expect(errorLine(500, '', '')).toBe('HTTP 500');
  });
});
