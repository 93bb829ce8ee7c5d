import { parseScriptOutput, scriptResult } from './script-result';

describe("a script's result", () => {
  it("reads Automn's markers: the first return value, every log, the notifications; the rest stays text", () => {
    const out = parseScriptOutput(
      [
        'hello',
        '__SCRIPTLOG__{"message":"half way","level":"WARNING","type":"Progress"}',
        '__SCRIPTRETURN__{"answer":42}',
        '__SCRIPTRETURN__{"answer":0}',
        '__SCRIPTNOTIFY__{"audience":"ops","message":"done","level":"error"}',
        'bye',
      ].join('\n'),
    );
    expect(out.returnData).toEqual({ answer: 42 });
    expect(out.logs).toEqual([{ message: 'half way', level: 'warn', type: 'progress', context: {}, order: 0 }]);
    expect(out.notifications).toEqual([{ audience: 'ops', message: 'done', level: 'error', order: 0 }]);
    expect(out.stdout).toBe('hello\nbye');
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
