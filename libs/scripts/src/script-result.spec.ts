import { parseScriptOutput, scriptResult } from './script-result';

describe("a script's result", () => {
  it("reads Automn's markers as Automn's runner does: the first return value, every log, the notifications, stamped; marker lines left empty", () => {
    const out = parseScriptOutput(
      [
        'hello',
        '__SCRIPTLOG__{"message":"half way","level":"WARNING","type":"Progress"}',
        '__SCRIPTRETURN__{"answer":42}',
        '__SCRIPTRETURN__{"answer":0}',
        'before __SCRIPTNOTIFY__{"target":"ops","message":"done","type":"error"}',
        '__SCRIPTLOG__{"message":"with context","context":7,"category":"Audit"}',
        '__SCRIPTLOG__{not json',
        'bye',
      ].join('\n'),
    );
    const stamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);
    expect(out.returnData).toEqual({ answer: 42 });
    expect(out.logs).toEqual([
      { message: 'half way', level: 'warn', type: 'progress', context: {}, order: 0, timestamp: stamp },
      { message: 'with context', level: 'info', type: 'audit', context: { value: 7 }, order: 1, timestamp: stamp },
    ]);
    expect(out.notifications).toEqual([
      {
        audience: 'ops',
        message: 'done',
        level: 'error',
        order: 0,
        raw: { target: 'ops', message: 'done', type: 'error' },
        timestamp: stamp,
      },
    ]);
    // Only the first return marker is read (the later one stays text); log and notification lines stay, empty.
    expect(out.stdout).toBe('hello\n\n__SCRIPTRETURN__{"answer":0}\nbefore \n\n__SCRIPTLOG__{not json\nbye');
  });

  it('keeps no blank first line where the return line was', () => {
    expect(parseScriptOutput('__SCRIPTRETURN__1\nafter\n').stdout).toBe('after\n');
  });

  it('says so when the return value is not JSON', () => {
    expect(scriptResult('__SCRIPTRETURN__{oops\n', null)).toMatchObject({
      return_data: null,
      return_error: expect.stringMatching(/not JSON/),
    });
  });

  it('takes the return value from RUNYARD_RESULT_FILE before the marker', () => {
    expect(scriptResult('__SCRIPTRETURN__1\n', Buffer.from('{"from":"file"}'))).toEqual({
      return_data: { from: 'file' },
      logs: [],
      notifications: [],
    });
    expect(scriptResult('', Buffer.from('not json'))).toMatchObject({
      return_data: null,
      return_error: expect.stringMatching(/RUNYARD_RESULT_FILE/),
    });
    expect(scriptResult('', null)).toEqual({ return_data: null, logs: [], notifications: [] });
  });
});
