import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { cli, CLI } from './support/cli';
import { behave } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { profilesYaml, ROOT, RunyardUnderTest, startRunyard } from './support/runyard';

// eslint-disable-next-line no-control-regex -- looking for escapes
const ANSI = /\x1b\[/;
/** A time as the CLI prints it: local time and its UTC offset. */
const TIME = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d\\d:\\d\\d';

/** Script runs on the worker's host (a profile that lists the language). */
const SCRIPT_PROFILE = `
    SCRIPTS:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SCRIPT_RUNTIMES: [shell]
`;

/**
 * The CLI in a pseudo-terminal, as a user runs it: Ctrl-C (SIGINT) once `interruptAt` shows in its
 * output. Answers everything it wrote to the terminal, its exit code, or the signal that ended it.
 */
async function inTerminal(
  args: string[],
  env: Record<string, string>,
  interruptAt: string,
): Promise<{ out: string; code: number | null; signal: number | null }> {
  const script = `
import json, os, pty, signal, sys
args, env, interrupt_at = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execve(args[0], args, env)
out, sent = b'', False
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not sent and interrupt_at in out:
        os.kill(pid, signal.SIGINT)
        sent = True
_, status = os.waitpid(pid, 0)
print(json.dumps({'out': out.decode('utf-8', 'replace'),
                  'code': os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                  'signal': os.WTERMSIG(status) if os.WIFSIGNALED(status) else None}))
`;
  const fullEnv = { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env };
  const r = await new Promise<string>((resolve) => {
    const child = spawn('python3', ['-c', script, JSON.stringify([process.execPath, CLI, ...args]), JSON.stringify(fullEnv), interruptAt], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', () => resolve(out));
  });
  return JSON.parse(r);
}

describe('runyard CLI', () => {
  let rt: RunyardUnderTest;
  beforeAll(async () => {
    rt = await startRunyard({ config: profilesYaml(SCRIPT_PROFILE) });
  });
  afterAll(() => rt?.close());

  it('run --wait prints the log and exits 0 for a completed run', async () => {
    behave(rt, 'c001', { seconds: 1 });
    const r = await cli(rt, ['run', 'c001', '--profile', 'LOCAL_NO_MODULE', '--wait']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Running experiment c001\n');
    expect(r.stdout).toContain('[WARNING] fake autosubmit: no job is really submitted\n');
    expect(r.stdout.trimEnd().endsWith('Run successful')).toBe(true);
    expect(r.stderr).toMatch(/run \d+ of c001 accepted \(QUEUED\)/);
    expect(r.stderr).toMatch(/run \d+ COMPLETED \(exit 0\) in /);
    expect(r.stdout + r.stderr).not.toMatch(ANSI); // piped: no colours, no spinner
  });

  it('run --wait exits with the exit code of a failing run', async () => {
    behave(rt, 'c002', { exit: 3 });
    const r = await cli(rt, ['run', 'c002', '--profile', 'LOCAL_NO_MODULE', '--wait']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('Run failed');
    expect(r.stderr).toMatch(/FAILED \(exit 3\)/);
  });

  it('run without --wait prints the run id; --json prints the answer', async () => {
    behave(rt, 'c003', { seconds: 0 });
    const r = await cli(rt, ['run', 'c003', '--profile', 'LOCAL_NO_MODULE']);
    expect(r.code).toBe(0);
    const id = Number(r.stdout.trim());
    expect(id).toBeGreaterThan(0);
    await eventually(async () => (await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body.status === 'COMPLETED', 15_000, 'c003');
    behave(rt, 'c004', { seconds: 0 });
    const j = await cli(rt, ['run', 'c004', '--profile', 'LOCAL_NO_MODULE', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ expid: 'c004', status: 'QUEUED', kind: 'run' });
  });

  it('lists runs as a table, filtered, and as JSON', async () => {
    const t = await cli(rt, ['runs', '--expid', 'c002']);
    expect(t.code).toBe(0);
    const lines = t.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+KIND\s+EXPID\s+PROFILE\s+STATUS\s+EXIT\s+CREATED\s+DURATION$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^\\d+\\s+run\\s+c002\\s+LOCAL_NO_MODULE\\s+FAILED\\s+3\\s+${TIME}\\s+\\d\\S*s$`));
    expect(t.stdout).not.toMatch(ANSI);
    const j = await cli(rt, ['runs', '--status', 'COMPLETED', '--kind', 'run', '--limit', '1', '--json']);
    const body = JSON.parse(j.stdout);
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0].status).toBe('COMPLETED');
  });

  it('shows the status of an experiment, and 404s as an error message with exit 1', async () => {
    const s = await cli(rt, ['status', 'c001']);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/^expid:\s+c001$/m);
    expect(s.stdout).toMatch(/^status:\s+COMPLETED$/m);
    expect(s.stdout).toMatch(/^exit code:\s+0$/m);
    const j = await cli(rt, ['status', 'c002', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ expid: 'c002', status: 'TERMINATED', detailed_status: 'FAILED', exit_code: 3 });
    const missing = await cli(rt, ['logs', '999999']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('runyard: run 999999 does not exist\n');
  });

  it('prints a run log, and follows one to its end with -f', async () => {
    const runs = JSON.parse((await cli(rt, ['runs', '--expid', 'c001', '--json'])).stdout).runs;
    const id = runs[0].id;
    const plain = await cli(rt, ['logs', String(id)]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe((await call(rt.url, 'GET', `/api/v1/runs/${id}/logs`)).text);
    behave(rt, 'c005', { seconds: 2 });
    const started = JSON.parse((await cli(rt, ['run', 'c005', '--profile', 'LOCAL_NO_MODULE', '--json'])).stdout);
    const f = await cli(rt, ['logs', String(started.id), '-f']);
    expect(f.code).toBe(0);
    expect(f.stdout).toContain('Running experiment c005\n');
    expect(f.stdout.trimEnd().endsWith('Run successful')).toBe(true);
    const fj = await cli(rt, ['logs', String(started.id), '-f', '--json']);
    const frames = fj.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(frames[frames.length - 1]).toMatchObject({ type: 'result', data: { runId: started.id, status: 'COMPLETED', code: 0 } });
  });

  it('stops an experiment (exit 130 for the waiting client), sets job status and creates an experiment', async () => {
    behave(rt, 'c006', { seconds: 30 });
    const waiting = cli(rt, ['run', 'c006', '--profile', 'LOCAL_NO_MODULE', '--wait']);
    await eventually(
      async () => (await call(rt.url, 'POST', '/v4/runners/command/get-runner-run-status', { expid: 'c006' })).body.status === 'ACTIVE',
      15_000,
      'c006 active',
    );
    const stop = await cli(rt, ['stop', 'c006']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/TERMINATED/);
    expect((await waiting).code).toBe(130);

    const set = await cli(rt, [
      'set-status',
      'c001',
      '--profile',
      'LOCAL_NO_MODULE',
      '--jobs',
      'c001_SIM,c001_POST',
      '--status',
      'COMPLETED',
      '--json',
    ]);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ run_id: expect.any(Number) });
    const argv = readFileSync(rt.argvLog, 'utf8');
    expect(argv).toMatch(/"--list=c001_SIM[ ,]c001_POST"/);

    const created = await cli(rt, ['create', '--profile', 'LOCAL_NO_MODULE', '--description', 'from the CLI']);
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toMatch(/^a[0-9a-z]{3}$/);
  });

  it('creates, lists, shows, pauses, resumes and deletes schedules', async () => {
    const create = await cli(rt, [
      'schedules',
      'create',
      'yearly-c101',
      '--cron',
      '0 0 1 1 *',
      '--timezone',
      'Europe/Madrid',
      '--expid',
      'c101',
      '--profile',
      'LOCAL_NO_MODULE',
      '--overlap',
      'queue',
    ]);
    expect(create.code).toBe(0);
    expect(create.stdout).toMatch(/^schedule:\s+yearly-c101$/m);
    expect(create.stdout).toMatch(/^cron:\s+0 0 1 1 \* \(Europe\/Madrid\)$/m);
    expect(create.stdout).toMatch(new RegExp(`^next fires:\\s+${TIME}, .*, `, 'm'));
    const list = await cli(rt, ['schedules']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+CRON\s+TIMEZONE\s+EXPID\s+PROFILE\s+OVERLAP\s+STATE\s+NEXT FIRE\s+RUNS\s+SKIPS\s+LAST SKIP$/);
    expect(lines[1]).toMatch(
      new RegExp(`^yearly-c101\\s+0 0 1 1 \\*\\s+Europe/Madrid\\s+c101\\s+LOCAL_NO_MODULE\\s+queue\\s+active\\s+${TIME}\\s`),
    );
    const paused = await cli(rt, ['schedules', 'pause', 'yearly-c101']);
    expect(paused.stdout).toMatch(/^state:\s+paused$/m);
    expect(paused.stdout).toMatch(/^next fires:\s+-$/m);
    expect(JSON.parse((await cli(rt, ['schedules', 'list', '--json'])).stdout).schedules[0]).toMatchObject({ paused: true });
    expect((await cli(rt, ['schedules', 'resume', 'yearly-c101'])).stdout).toMatch(/^state:\s+active$/m);
    expect((await cli(rt, ['schedules', 'show', 'yearly-c101', '--json'])).stdout).toContain('"paused":false');
    const bad = await cli(rt, ['schedules', 'create', 'bad', '--cron', '0 25 * * *', '--expid', 'c101', '--profile', 'LOCAL_NO_MODULE']);
    expect(bad).toMatchObject({
      code: 1,
      stderr: 'runyard: cron "0 25 * * *" is not valid: Constraint error, got value 25 expected range 0-23\n',
    });
    expect(
      (await cli(rt, ['schedules', 'create', 'bad', '--cron', '* * * * *', '--expid', 'c101', '--profile', 'X', '--overlap', 'later']))
        .code,
    ).toBe(2);
    expect(await cli(rt, ['schedules', 'delete', 'yearly-c101'])).toMatchObject({ code: 0, stdout: 'schedule yearly-c101 deleted\n' });
    expect(await cli(rt, ['schedules'])).toMatchObject({ code: 0, stdout: 'no schedules\n' });
    expect((await cli(rt, ['schedules', 'delete', 'yearly-c101'])).stderr).toBe('runyard: schedule yearly-c101 does not exist\n');
  });

  it('answers usage errors with exit 2 and API errors with their error_message and exit 1', async () => {
    expect((await cli(rt, [])).code).toBe(2);
    const unknown = await cli(rt, ['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect((await cli(rt, ['run', 'c007'])).stderr).toContain("required option '--profile <name>' not specified");
    expect((await cli(rt, ['run', 'c007', '--profile', 'X', '--bogus'])).code).toBe(2);
    const bad = await cli(rt, ['run', 'c007', '--profile', 'NO_SUCH_PROFILE']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^runyard: .*NO_SUCH_PROFILE/);
    const down = await cli(null, ['runs'], { RUNYARD_URL: 'http://127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach Runyard');
    const help = await cli(rt, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: runyard \[options\] \[command\]/);
    expect(help.stdout).toContain('RUNYARD_TIMEOUT');
    expect((await cli(rt, ['run', '--help'])).stdout).toContain('--profile <name>');
  });

  /** A server that takes the connection and never answers, or answers 401 like Runyard without a token. */
  async function stubServer(answer: 'hang' | '401'): Promise<{ url: string; close: () => void }> {
    const server = createServer((_req, res) => {
      if (answer === '401') {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: true, error_message: 'this endpoint needs an API token: Authorization: Bearer <token>' }));
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
  }

  it('gives up on a server that does not answer after the timeout, with a clear message and exit 1', async () => {
    const hung = await stubServer('hang');
    const r = await cli(null, ['runs'], { RUNYARD_URL: hung.url, RUNYARD_TIMEOUT: '1' });
    const flag = await cli(null, ['status', 'a001', '--timeout', '1'], { RUNYARD_URL: hung.url });
    hung.close();
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `runyard: Runyard at ${hung.url} did not answer within 1 s (--timeout, RUNYARD_TIMEOUT)\n`,
    });
    expect(flag.code).toBe(1);
    expect((await cli(null, ['runs', '--timeout', 'soon'])).code).toBe(2);
  });

  it('names RUNYARD_TOKEN when Runyard asks for a token', async () => {
    const guarded = await stubServer('401');
    const missing = await cli(null, ['runs'], { RUNYARD_URL: guarded.url });
    const refused = await cli(null, ['runs'], { RUNYARD_URL: guarded.url, RUNYARD_TOKEN: 'ry_wrong' });
    guarded.close();
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^runyard: Runyard needs an API token: set RUNYARD_TOKEN/);
    expect(refused.stderr).toMatch(/^runyard: RUNYARD_TOKEN was refused/);
  });

  it('clears its spinner line when interrupted with Ctrl-C on a terminal', async () => {
    const hung = await stubServer('hang');
    const { out, signal } = await inTerminal(['runs'], { RUNYARD_URL: hung.url }, 'listing runs');
    hung.close();
    expect(out).toContain('listing runs');
    expect(out.endsWith('\r\x1b[2K')).toBe(true);
    expect(signal).toBe(2);
  });

  it('Ctrl-C during run --wait leaves the run running, says how to follow or stop it, and exits 130', async () => {
    behave(rt, 'c201', { seconds: 60 });
    const r = await inTerminal(
      ['run', 'c201', '--profile', 'LOCAL_NO_MODULE', '--wait'],
      { RUNYARD_URL: rt.url },
      'Running experiment c201',
    );
    const id = Number(/run (\d+) of c201 accepted/.exec(r.out)?.[1]);
    expect(r.code).toBe(130);
    expect(r.out).toContain(
      `run ${id} continues on the server (ACTIVE). Follow it: runyard logs ${id} --follow · stop it: runyard stop --run ${id}`,
    );
    // Still running on the server: its process was not touched.
    expect((await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body).toMatchObject({ status: 'ACTIVE', finished_at: null });
    const stop = await cli(rt, ['stop', '--run', String(id)]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`^run ${id}: TERMINATED — stopped by `));
  });

  it('says what a run waits for while it waits, and why it failed at the end; show tells it all again', async () => {
    const file = join(rt.dir, 'needs-gpu.sh');
    writeFileSync(file, 'echo never\n');
    const r = await cli(rt, ['script', 'run', file, '--tags', 'nosuchtag', '--queue-timeout', '2', '--wait']);
    const id = Number(/script run (\d+) accepted/.exec(r.stderr)?.[1]);
    const why = 'waiting for an agent with tags nosuchtag: none is registered';
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`waiting: queued — ${why}\n`);
    expect(r.stderr).toMatch(new RegExp(`\\nrun ${id} FAILED in \\d+\\.\\ds: queue timeout: not started within 2 s \\(${why}\\)\\n$`));

    const show = await cli(rt, ['show', String(id)], { TZ: 'Asia/Tokyo' });
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^run:\\s+${id} \\(script through script\\)$`, 'm'));
    expect(show.stdout).toMatch(/^ran on:\s+AGENT, tags nosuchtag(,|$)/m);
    expect(show.stdout).toMatch(/^status:\s+FAILED$/m);
    expect(show.stdout).toMatch(new RegExp(`^detail:\\s+queue timeout: not started within 2 s \\(${why}\\)$`, 'm'));
    expect(show.stdout).toMatch(/^exit code:\s+-$/m);
    expect(show.stdout).toMatch(/^attempts:\s+\d+$/m);
    expect(show.stdout).toMatch(/^created:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+09:00$/m); // TZ is followed
    expect(show.stdout).toMatch(/^started:\s+-$/m);
    expect(show.stdout).toMatch(/^finished:\s+.* \+09:00$/m);
    expect(show.stdout).toMatch(/^duration:\s+\d+\.\ds$/m);
    expect(show.stdout).toMatch(/^argv:\s+bash /m);
    expect(JSON.parse((await cli(rt, ['show', String(id), '--json'])).stdout)).toMatchObject({ id, status: 'FAILED', started_at: null });
    expect(await cli(rt, ['show', '999999'])).toMatchObject({ code: 1, stderr: 'runyard: run 999999 does not exist\n' });
    expect((await cli(rt, ['show', 'abc'])).code).toBe(2);
  });

  it("renders Automn's log, notification and return markers instead of printing them raw", async () => {
    const file = join(rt.dir, 'automn.sh');
    writeFileSync(
      file,
      'echo plain\nAutomnLog "disk almost full" warn \'{"free":"2G"}\'\nAutomnNotify ops "backup done"\nAutomnReturn \'{"ok":true}\'\n',
    );
    const r = await cli(rt, ['script', 'run', file, '--wait']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('plain\n[warn] disk almost full {"free":"2G"}\n[notify ops] backup done\n[return] {"ok":true}\n');
    expect(r.stderr).toContain('returned {"ok":true}\n');
    const id = Number(/script run (\d+) accepted/.exec(r.stderr)?.[1]);
    expect((await cli(rt, ['logs', String(id)])).stdout).toBe(r.stdout);
    expect((await cli(rt, ['show', String(id)])).stdout).toMatch(/^returned:\s+\{"ok":true\}$/m);
  });

  it('prints its version', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(await cli(null, ['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('sends RUNYARD_TOKEN as a bearer token', async () => {
    let seen: string | undefined;
    const server = createServer((req, res) => {
      seen = req.headers.authorization;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ runs: [], next_before: null }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const r = await cli(null, ['runs'], { RUNYARD_URL: `http://127.0.0.1:${port}`, RUNYARD_TOKEN: 'secret-token' });
    server.close();
    expect(r.stdout).toBe('no runs\n');
    expect(seen).toBe('Bearer secret-token');
  });
});

describe('runyard CLI with tokens', () => {
  const ADMIN = 'bootstrap-admin-secret-for-the-cli';
  let rt: RunyardUnderTest;
  beforeAll(async () => {
    rt = await startRunyard({
      config: profilesYaml(),
      env: { AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: ADMIN, AGENT_HEARTBEAT_MS: '300' },
    });
  });
  afterAll(() => rt?.close());
  const as = (token: string, args: string[]) => cli(rt, args, { RUNYARD_TOKEN: token });

  it('creates a token (printed once, with a warning), lists it, revokes it by name: then it gets 401', async () => {
    const made = await as(ADMIN, ['tokens', 'create', 'ci-bot', '--role', 'operator']);
    expect(made.code).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^ry_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(made.stderr).toMatch(/^token ci-bot \(operator, id [a-z0-9]{12}\) created\. It is shown this once: store it now/);
    expect((await as(token, ['runs'])).code).toBe(0);

    const list = await as(ADMIN, ['tokens']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+ROLE\s+CREATED\s+BY\s+LAST USED\s+REVOKED$/m);
    expect(list.stdout).toMatch(new RegExp(`^[a-z0-9]{12}\\s+ci-bot\\s+operator\\s+${TIME}\\s+bootstrap\\s+(-|${TIME})\\s+-$`, 'm'));
    expect(list.stdout).not.toContain(token);
    expect(JSON.parse((await as(ADMIN, ['tokens', 'list', '--json'])).stdout)).toContainEqual(
      expect.objectContaining({ name: 'ci-bot', role: 'operator', revoked_at: null }),
    );

    expect(await as(ADMIN, ['tokens', 'revoke', 'ci-bot'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^token ci-bot \(\w+\) revoked\n$/),
    });
    const refused = await as(token, ['runs']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^runyard: RUNYARD_TOKEN was refused: .+\n$/);
    expect(await as(ADMIN, ['tokens', 'revoke', 'ci-bot'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('was revoked already'),
    });
    expect(await as(ADMIN, ['tokens', 'revoke', 'nobody'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no token is named'),
    });
    expect((await as(ADMIN, ['tokens', 'create', 'x', '--role', 'root'])).code).toBe(2);
  });

  it('refuses token and agent administration to a token that is not an admin’s, as one line with exit 1', async () => {
    const operator = (await as(ADMIN, ['tokens', 'create', 'ops', '--role', 'operator'])).stdout.trim();
    for (const args of [
      ['tokens', 'create', 'mine', '--role', 'admin'],
      ['tokens', 'revoke', 'ops'],
      ['agents', 'register', 'sneaky'],
    ]) {
      const r = await as(operator, args);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^runyard: [^\n]+\n$/);
    }
    // Nothing was made or revoked.
    const tokens = JSON.parse((await as(ADMIN, ['tokens', '--json'])).stdout) as { name: string; revoked_at: string | null }[];
    expect(tokens).not.toContainEqual(expect.objectContaining({ name: 'mine' }));
    expect(tokens).toContainEqual(expect.objectContaining({ name: 'ops', revoked_at: null }));
    expect((await call(rt.url, 'GET', '/api/v1/agents/sneaky', undefined, ADMIN)).status).toBe(404);
  });

  it('registers an agent and prints the command that starts it: run as printed, the agent comes online', async () => {
    const stateDir = join(rt.dir, 'agent cli1'); // a space: the command must quote it
    const r = await as(ADMIN, ['agents', 'register', 'cli1', '--tags', 'cli,linux', '--max-concurrency', '2', '--state-dir', stateDir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^agent cli1 registered \(tags: cli,linux\)\. Its secret is in this command and shown this once/);
    const command = r.stdout.trim();
    expect(command).toMatch(
      /^RUNYARD_URL=\S+ RUNYARD_AGENT_ID=cli1 RUNYARD_AGENT_SECRET=\S+ RUNYARD_AGENT_STATE_DIR='.*' RUNYARD_AGENT_CONCURRENCY=2 node dist\/apps\/agent\/main.js$/,
    );
    const agent = spawn('bash', ['-c', command], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: rt.env.HOME },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    agent.stdout.on('data', (d) => (output += d));
    agent.stderr.on('data', (d) => (output += d));
    const exited = new Promise((resolve) => agent.once('exit', resolve));
    try {
      await eventually(
        async () => {
          if (agent.exitCode !== null) throw new Error(`the agent exited with ${agent.exitCode}: ${output}`);
          const agents = JSON.parse((await as(ADMIN, ['agents', '--json'])).stdout) as { id: string; status: string }[];
          return agents.find((a) => a.id === 'cli1')?.status === 'online';
        },
        20_000,
        'agent cli1 online',
      );
      expect((await as(ADMIN, ['agents'])).stdout).toMatch(/^cli1\s+online\s+pull\s+cli,linux\s+0\/2\s/m);
    } finally {
      if (agent.exitCode === null) process.kill(-agent.pid!, 'SIGTERM');
      await exited;
    }
    expect((await as(ADMIN, ['agents', 'register', 'cli1'])).stderr).toMatch(/^runyard: .*cli1.*\n$/);
  });
});
