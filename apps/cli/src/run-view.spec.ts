import { endLine, formatRun, interruptedLine, progressText, RunAnswer, shellWords } from './run-view';

const plain = { color: false };

const run = (over: Partial<RunAnswer>): RunAnswer => ({
  id: 21,
  kind: 'script',
  expid: null,
  profile: null,
  runner: 'AGENT',
  argv: ['python3', 'script.py'],
  status: 'FAILED',
  detail: null,
  exit_code: null,
  pid: null,
  host: null,
  target: null,
  run_dir: null,
  result: null,
  requested_by: 'ci',
  attempts: 1,
  last_error: null,
  deadline_at: null,
  created_at: '2026-12-07T04:00:00.000Z',
  started_at: null,
  finished_at: null,
  modified_at: null,
  ...over,
});

const QUEUE_TIMEOUT = 'queue timeout: not started within 5 s (waiting for an agent with tags nosuchtag: none is registered)';

describe('what a followed run is doing', () => {
  it('says what a waiting run waits for, where a running one runs, and nothing once it has ended', () => {
    expect(progressText(run({ status: 'QUEUED', detail: 'waiting for an agent with tags gpu' }))).toBe(
      'waiting: queued — waiting for an agent with tags gpu',
    );
    expect(progressText(run({ status: 'QUEUED' }))).toBe('waiting: queued');
    expect(progressText(run({ status: 'ACTIVE', host: 'gpu1', pid: 4242 }))).toBe('running on gpu1 (pid 4242)');
    expect(progressText(run({ status: 'STOPPING', detail: 'stopped by ops' }))).toBe('stopping — stopped by ops');
    expect(progressText(run({ status: 'FAILED', detail: QUEUE_TIMEOUT }))).toBeNull();
  });

  it('ends with the outcome, how long it took (waited, if it never started) and the server’s detail', () => {
    const finished = '2026-12-07T04:00:05.000Z';
    expect(endLine(plain, run({ detail: QUEUE_TIMEOUT, finished_at: finished }))).toBe(`run 21 FAILED in 5.0s: ${QUEUE_TIMEOUT}`);
    const ran = { started_at: '2026-12-07T04:00:01.000Z', finished_at: finished };
    // A detail that only repeats the exit code is left out.
    expect(endLine(plain, run({ ...ran, status: 'FAILED', exit_code: 3, detail: 'exit code 3' }))).toBe('run 21 FAILED (exit 3) in 4.0s');
    expect(endLine(plain, run({ ...ran, status: 'TERMINATED', exit_code: null, detail: 'stopped by ops; killed by SIGTERM' }))).toBe(
      'run 21 TERMINATED in 4.0s: stopped by ops; killed by SIGTERM',
    );
    // No timestamps (the run could not be read): the stream's duration.
    expect(endLine(plain, { ...run({}), created_at: null, status: 'COMPLETED', exit_code: 0 }, 1500)).toBe(
      'run 21 COMPLETED (exit 0) in 1.5s',
    );
  });

  it('after Ctrl-C, says the run goes on and how to follow or stop it', () => {
    expect(interruptedLine(21, 'ACTIVE')).toBe(
      'run 21 continues on the server (ACTIVE). Follow it: runyard logs 21 --follow · stop it: runyard stop --run 21',
    );
  });
});

describe('runyard show', () => {
  it('shows state, detail, attempts, times with their offset, where it ran, argv and what it returned', () => {
    const text = formatRun(
      run({
        status: 'COMPLETED',
        exit_code: 0,
        detail: 'exit code 0',
        attempts: 2,
        last_error: 'launch failed: host down',
        host: 'gpu1',
        pid: 77,
        target: { agent: 'gpu1', tags: ['gpu', 'linux'] },
        run_dir: '/var/lib/runyard-agent/runs/21',
        argv: ['bash', '-c', "echo 'hi there'"],
        started_at: '2026-12-07T04:00:01.000Z',
        finished_at: '2026-12-07T04:01:02.000Z',
        result: { return_data: { ok: true }, logs: [], notifications: [] },
      }),
      plain,
      'Europe/Madrid',
    );
    expect(text.split('\n')).toEqual([
      'run:          21 (script)',
      'status:       COMPLETED',
      'detail:       exit code 0',
      'exit code:    0',
      'attempts:     2 (last error: launch failed: host down)',
      'requested by: ci',
      'created:      2026-12-07 05:00:00 +01:00',
      'started:      2026-12-07 05:00:01 +01:00',
      'finished:     2026-12-07 05:01:02 +01:00',
      'duration:     1m1s',
      'ran on:       AGENT, agent gpu1, tags gpu,linux, host gpu1, pid 77',
      'run dir:      /var/lib/runyard-agent/runs/21',
      "argv:         bash -c 'echo '\\''hi there'\\'''",
      'returned:     {"ok":true}',
      '',
    ]);
  });

  it('shows a run of an experiment, and a result that is not a script’s as it is', () => {
    const text = formatRun(
      run({ kind: 'run', expid: 'a001', profile: 'SSH', runner: 'SSH', target: { host: 'h', port: 22, user: null }, result: { calls: 3 } }),
      plain,
      'UTC',
    );
    expect(text).toMatch(/^ran on:\s+SSH, host h, port 22$/m);
    expect(text).toMatch(/^run:\s+21 \(run of a001 through SSH\)$/m);
    expect(text).toMatch(/^result:\s+\{"calls":3\}$/m);
    expect(text).toMatch(/^started:\s+-$/m);
  });

  it('quotes argv words only when a shell would need it', () => {
    expect(shellWords(['autosubmit', '-lc', 'DEBUG', 'run', 'a001'])).toBe('autosubmit -lc DEBUG run a001');
    expect(shellWords(['a b', '$HOME', ''])).toBe("'a b' '$HOME' ''");
  });
});
