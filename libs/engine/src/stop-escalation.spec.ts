import { StopContext, StopEscalation } from './stop-escalation';

/** A run whose host can be unreachable; signals end it unless it ignores them. */
function fakeRun(opts: { ignores?: NodeJS.Signals[]; experiment?: boolean } = {}) {
  let end!: () => void;
  const over = new Promise<void>((r) => (end = r));
  const log: string[] = [];
  const state = { reachable: true, ended: false };
  const reach = () => {
    if (!state.reachable) throw new Error('host unreachable');
  };
  const ctx: StopContext = {
    runId: 1,
    stopCommand: async () => (opts.experiment ? { argv: ['autosubmit', 'stop', '-y', 'a001'] } : null),
    exec: async (argv) => {
      reach();
      log.push(argv.join(' '));
      return { exit: { code: 0, signal: null }, output: '' };
    },
    signal: async (signal) => {
      reach();
      log.push(signal);
      if (!opts.ignores?.includes(signal)) {
        state.ended = true;
        end();
      }
    },
    note: async () => undefined,
    over,
    graceMs: 50,
    failed: () => log.push('failed'),
  };
  return { ctx, log, state };
}

const request = (at: number, force = false) => ({ id: 1, force, requestedAt: new Date(at) });

describe('StopEscalation', () => {
  it('runs autosubmit stop, then SIGTERM, then SIGKILL, each after one grace period', async () => {
    const { ctx, log } = fakeRun({ experiment: true, ignores: ['SIGTERM'] });
    const stop = new StopEscalation(ctx);
    stop.serve(request(1));
    await stop.idle();
    expect(log).toEqual(['autosubmit stop -y a001', 'SIGTERM', 'SIGKILL']);
    expect(stop.state).toBe('acted');
  });

  it('goes straight to SIGKILL when forced', async () => {
    const { ctx, log } = fakeRun();
    const stop = new StopEscalation(ctx);
    stop.serve(request(1, true));
    await stop.idle();
    expect(log).toEqual(['SIGKILL']);
  });

  it('keeps trying a step its host does not answer, and carries it out once the host is back', async () => {
    const { ctx, log, state } = fakeRun();
    state.reachable = false;
    const stop = new StopEscalation(ctx);
    stop.serve(request(1));
    await new Promise((r) => setTimeout(r, 1200));
    expect(stop.state).toBe('not-acted');
    expect(log.filter((l) => l === 'failed').length).toBeGreaterThanOrEqual(2);
    state.reachable = true;
    await stop.idle();
    expect(log).toContain('SIGTERM');
    expect(state.ended).toBe(true);
    expect(stop.state).toBe('acted');
  });

  it('ignores a request it already served, and acts again on a later one', async () => {
    const { ctx, log } = fakeRun({ ignores: ['SIGTERM', 'SIGKILL'] });
    const stop = new StopEscalation(ctx);
    stop.serve(request(1));
    await stop.idle();
    stop.serve(request(1));
    await stop.idle();
    expect(log).toEqual(['SIGTERM', 'SIGKILL']);
    stop.serve(request(2));
    await stop.idle();
    expect(log).toEqual(['SIGTERM', 'SIGKILL', 'SIGTERM', 'SIGKILL']);
  });
});
