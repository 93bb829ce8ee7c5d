import { formatLine } from './log-format';
import { isRoutineRequest } from './routine-requests';

describe('the log for a person at a terminal', () => {
  const time = new Date(2026, 11, 7, 5, 4, 2, 436).getTime(); // local time, as the lines show it

  it('shows time, level, context and message, and the fields a line carries besides', () => {
    const json = JSON.stringify({ level: 40, time, pid: 1, hostname: 'vm', context: 'Worker', msg: 'redis unavailable', attempt: 2 });
    expect(formatLine(json, false)).toBe('05:04:02.436 WARN  [Worker] redis unavailable  attempt=2\n');
    expect(formatLine(json, true)).toBe('05:04:02.436 \x1b[33mWARN \x1b[0m [Worker] redis unavailable  attempt=2\n');
  });

  it('shows a request line as what was asked and how it was answered, without its headers', () => {
    const json = JSON.stringify({
      level: 30,
      time,
      msg: 'request completed',
      req: { id: 'r1', method: 'POST', url: '/api/v1/runs', headers: { authorization: '[redacted]' } },
      res: { statusCode: 202, headers: {} },
      responseTime: 113,
    });
    expect(formatLine(json, false)).toBe('05:04:02.436 INFO  POST /api/v1/runs → 202 in 113 ms\n');
  });

  it("adds an error's message unless the line already says it", () => {
    const json = (msg: string) =>
      JSON.stringify({ level: 50, time, msg, err: { type: 'Error', message: 'ECONNREFUSED', stack: 'Error: …\n    at x' } });
    expect(formatLine(json('queue'), false)).toBe('05:04:02.436 ERROR queue: ECONNREFUSED\n');
    expect(formatLine(json('queue: ECONNREFUSED'), false)).toBe('05:04:02.436 ERROR queue: ECONNREFUSED\n');
  });

  it('passes a line that is not JSON through', () => {
    expect(formatLine('plain text', false)).toBe('plain text\n');
  });
});

describe('routine requests', () => {
  it('are the polls, heartbeats and exchanges, not the submissions or reads a person makes', () => {
    const routine = (method: string, url: string) => isRoutineRequest({ method, url });
    expect(routine('POST', '/api/v1/agents/7/heartbeat')).toBe(true);
    expect(routine('POST', '/api/v1/agents/7/poll')).toBe(true);
    expect(routine('POST', '/api/v1/executor/exchange')).toBe(true);
    expect(routine('GET', '/api/v1/runs/12')).toBe(true);
    expect(routine('POST', '/v4/runners/command/get-runner-run-status')).toBe(true);
    expect(routine('GET', '/api/v1/sessions/3/results?seqs=1-4&wait_ms=20000')).toBe(true);
    expect(routine('POST', '/api/v1/runs')).toBe(false);
    expect(routine('GET', '/api/v1/runs')).toBe(false);
    expect(routine('GET', '/api/v1/runs/12/logs')).toBe(false);
    expect(routine('POST', '/api/v1/runs/12/stop')).toBe(false);
    expect(routine('DELETE', '/api/v1/agents/7/heartbeat')).toBe(false);
  });
});
