import { outcomeOf } from './outcome';

describe('outcomeOf', () => {
  const active = { status: 'ACTIVE' as const, detail: null, stopReason: null };
  const stopping = { status: 'STOPPING' as const, detail: 'stopped by alice', stopReason: 'request' as const };

  it('reads the exit of an unstopped run', () => {
    expect(outcomeOf(active, { code: 0, signal: null }, 'unknown')).toEqual({ status: 'COMPLETED', detail: 'exit code 0', exitCode: 0 });
    expect(outcomeOf(active, { code: 3, signal: null }, 'unknown')).toEqual({ status: 'FAILED', detail: 'exit code 3', exitCode: 3 });
    expect(outcomeOf(active, { code: 127, signal: null }, 'unknown').detail).toBe('exit code 127 (command not found)');
    expect(outcomeOf(active, { code: null, signal: 'SIGKILL' }, 'unknown')).toEqual({
      status: 'FAILED',
      detail: 'killed by SIGKILL',
      exitCode: null,
    });
  });

  it('calls a process that left no exit status LOST', () => {
    expect(outcomeOf(active, null, 'unknown')).toMatchObject({ status: 'LOST', exitCode: null });
  });

  it('ends a run whose stop was carried out TERMINATED, saying who stopped it and how it ended', () => {
    expect(outcomeOf(stopping, { code: null, signal: 'SIGTERM' }, 'acted')).toEqual({
      status: 'TERMINATED',
      detail: 'stopped by alice; killed by SIGTERM',
      exitCode: null,
    });
    // Re-attached by another worker: whoever acted, the stop was asked for.
    expect(outcomeOf(stopping, { code: 0, signal: null }, 'unknown').status).toBe('TERMINATED');
  });

  it('fails a run stopped for its timeout, saying so', () => {
    const timedOut = { status: 'STOPPING' as const, detail: 'timed out after 10 s', stopReason: 'timeout' as const };
    expect(outcomeOf(timedOut, { code: null, signal: 'SIGTERM' }, 'acted')).toEqual({
      status: 'FAILED',
      detail: 'timed out after 10 s; killed by SIGTERM',
      exitCode: null,
    });
  });

  it('gives a run that ended before its stop could act its own outcome, with the late stop in the detail', () => {
    const o = outcomeOf(stopping, { code: 0, signal: null }, 'not-acted');
    expect(o.status).toBe('COMPLETED');
    expect(o.detail).toBe('exit code 0; a stop (stopped by alice) could not be carried out before the run ended');
  });
});
