import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { behave } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { freePort, profilesYaml, ROOT, runReachableDir, RunyardUnderTest, startRunyard } from './support/runyard';

interface LogLine {
  level: number;
  context?: string;
  msg?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
}

const INFO = 30;

/** The server's log as a collector reads it (JSON: its output is not a terminal), info and above. */
function infoLines(rt: RunyardUnderTest): LogLine[] {
  return readFileSync(join(rt.dir, 'runyard.log'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.level >= INFO);
}

/** Runyard started as a user would, to fail: its exit code and everything it printed. */
function failedStart(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'api', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** The one line a failed start ends with: pino's fatal level, on standard error, no stack trace anywhere. */
function theFatalLine(out: { stdout: string; stderr: string }): string {
  const lines = out.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  const line = JSON.parse(lines[0]) as LogLine;
  expect(line.level).toBe(60);
  expect(out.stdout + out.stderr).not.toMatch(/^\s+at /m);
  return line.msg ?? '';
}

describe('the server log of a start and three runs', () => {
  let rt: RunyardUnderTest;

  beforeAll(async () => {
    rt = await startRunyard({ config: profilesYaml() });
  });
  afterAll(() => rt?.close());

  it('boots in a few lines ending with where to go, and tells each run queued, started and finished', async () => {
    behave(rt, 'l001', { seconds: 0 });
    behave(rt, 'l002', { seconds: 0, exit: 3 });
    behave(rt, 'l003', { seconds: 1 });
    const ids: Record<string, number> = {};
    for (const expid of ['l001', 'l002', 'l003']) {
      const res = await call(rt.url, 'POST', '/api/v1/runs', { expid, profile_name: 'LOCAL_NO_MODULE' });
      expect(res.status).toBe(202);
      ids[expid] = res.body.id;
    }
    // Polled as a client waiting for them does: routine requests, not news.
    for (const id of Object.values(ids)) {
      await eventually(
        async () => ['COMPLETED', 'FAILED'].includes((await call(rt.url, 'GET', `/api/v1/runs/${id}`)).body.status),
        20_000,
        `run ${id}`,
      );
    }
    const ended = (id: number) => (l: LogLine) => l.msg?.startsWith(`run ${id} finished`);
    await eventually(async () => Object.values(ids).every((id) => infoLines(rt).some(ended(id))), 10_000, 'the finished lines');

    const lines = infoLines(rt);
    const msgs = lines.map((l) => l.msg ?? '');
    // Nest's boot chatter is at debug: no module loading, no route mapping.
    expect(
      lines.filter((l) =>
        ['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication'].includes(l.context ?? ''),
      ),
    ).toEqual([]);
    expect(msgs.filter((m) => m.includes('Mapped {'))).toEqual([]);
    // The boot: a few lines, the last ones where to go.
    const boot = msgs.slice(
      0,
      msgs.findIndex((m) => m.startsWith(`run ${ids.l001} queued`)),
    );
    expect(boot.length).toBeLessThanOrEqual(8);
    expect(boot.slice(-4)).toEqual([
      `listening on ${rt.url} (role all)`,
      `API docs:  ${rt.url}/docs`,
      `web UI:    ${rt.url}/ui/`,
      `dashboard: ${rt.url}/admin/queues (admin)`,
    ]);
    const host = hostname();
    for (const [expid, id] of Object.entries(ids)) {
      expect(msgs).toContain(`run ${id} queued: run ${expid}, profile LOCAL_NO_MODULE, by anonymous@127.0.0.1`);
      expect(msgs).toContainEqual(
        expect.stringMatching(new RegExp(`^run ${id} started on ${host}, pid \\d+: run ${expid}, profile LOCAL_NO_MODULE$`)),
      );
    }
    const finished = (id: number) => msgs.find((m) => m.startsWith(`run ${id} finished`));
    expect(finished(ids.l001)).toMatch(
      new RegExp(`^run ${ids.l001} finished COMPLETED, exit code 0, after \\d+\\.\\d s: run l001, profile LOCAL_NO_MODULE$`),
    );
    expect(finished(ids.l002)).toMatch(
      new RegExp(`^run ${ids.l002} finished FAILED, exit code 3, after \\d+\\.\\d s: run l002, profile LOCAL_NO_MODULE$`),
    );
    const slow = /after (\d+\.\d) s/.exec(finished(ids.l003) ?? '');
    expect(Number(slow?.[1])).toBeGreaterThanOrEqual(1);
    // The submissions are news; the status polls are not (they are at debug).
    const requestLines = lines.filter((l) => l.req && l.res);
    expect(requestLines.filter((l) => l.req?.method === 'POST' && l.req.url === '/api/v1/runs')).toHaveLength(3);
    expect(requestLines.filter((l) => l.req?.method === 'GET' && /^\/api\/v1\/runs\/\d+$/.test(l.req.url))).toEqual([]);
  });

  it('refuses a second start on its port with one line saying to set PORT', async () => {
    const port = new URL(rt.url).port;
    const out = await failedStart({ ...rt.env, PORT: port, RUNYARD_ROLE: 'api' });
    expect(out.code).toBe(1);
    expect(theFatalLine(out)).toBe(`port ${port} is in use (127.0.0.1:${port}): set PORT to a free port, or stop what listens there`);
    expect(out.stdout).not.toContain('successfully started');
  });

  it('refuses a bad configuration file with one line naming the file and the key', async () => {
    const file = join(rt.dir, 'bad.yaml');
    writeFileSync(
      file,
      'RUNNER_CONFIGURATION:\n  PROFILES:\n    BROKEN:\n      RUNNER_TYPE: LOCAL\n      MODULE_LOADER_TYPE: NO_MODULE\n      TIMEOUT: soon\n',
    );
    const out = await failedStart({ ...rt.env, RUNYARD_CONFIG: file, PORT: String(await freePort()), RUNYARD_ROLE: 'api' });
    expect(out.code).toBe(1);
    expect(theFatalLine(out)).toMatch(
      new RegExp(
        `^configuration file ${file}: RUNNER_CONFIGURATION\\.PROFILES\\.BROKEN\\.TIMEOUT: .+ \\(fix the file, or set RUNYARD_CONFIG\\)$`,
      ),
    );
  });
});

describe('a start that cannot go on', () => {
  it('refuses LOG_LEVEL=loud with one line naming the allowed levels', async () => {
    const out = await failedStart({ PATH: process.env.PATH ?? '', LOG_LEVEL: 'loud' });
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(theFatalLine(out)).toBe(
      'Invalid environment variables: LOG_LEVEL="loud": LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    );
  });

  it('writes that line for a person with LOG_FORMAT=pretty', async () => {
    const out = await failedStart({ PATH: process.env.PATH ?? '', LOG_LEVEL: 'loud', LOG_FORMAT: 'pretty' });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} FATAL Invalid environment variables: LOG_LEVEL="loud": LOG_LEVEL must be one of fatal, .*, silent\n$/,
    );
  });

  it('says so in one line when the database is unreachable, naming DATABASE_URL', async () => {
    const closed = await freePort();
    const out = await failedStart({
      PATH: process.env.PATH ?? '',
      PORT: String(await freePort()),
      RUNYARD_DATA_DIR: join(runReachableDir('runyard-no-db-'), 'data'),
      DATABASE_URL: `postgres://runyard@127.0.0.1:${closed}/runyard`,
    });
    expect(out.code).toBe(1);
    expect(theFatalLine(out)).toBe(
      `cannot reach PostgreSQL at 127.0.0.1:${closed} (DATABASE_URL) (ECONNREFUSED): start it, or fix DATABASE_URL`,
    );
  });
});

describe('the quick start: no runyard.yaml and no autosubmit on PATH', () => {
  let rt: RunyardUnderTest;

  beforeAll(async () => {
    // RUNYARD_CONFIG empty = unset: ./runyard.yaml of a directory without one, so the demo configuration.
    rt = await startRunyard({
      config: '',
      cwd: runReachableDir('runyard-quick-start-'),
      env: { RUNYARD_CONFIG: '', PATH: '/usr/bin:/bin' },
    });
  });
  afterAll(() => rt?.close());

  it("runs the README's first experiment to COMPLETED with a stand-in whose log says so and how to install Autosubmit", async () => {
    const started = await call(rt.url, 'POST', '/v4/runners/command/run-experiment', { expid: 'a001', profile_name: 'LOCAL' });
    expect(started.status).toBe(200);
    const status = await eventually(
      async () => {
        const s = await call(rt.url, 'POST', '/v4/runners/command/get-runner-run-status', { expid: 'a001' });
        return s.body.status !== 'ACTIVE' && s.body;
      },
      20_000,
      'the run to end',
    );
    expect(status).toMatchObject({ status: 'COMPLETED', detailed_status: 'COMPLETED', exit_code: 0 });
    const log = (await call(rt.url, 'GET', `/api/v1/runs/${started.body.run_id}/logs`)).text;
    expect(log).toContain('this is a stand-in for Autosubmit, which is not installed on this machine: nothing is really run.');
    expect(log).toContain('Autosubmit would run: autosubmit run a001');
    expect(log).toContain('pip install autosubmit');
    expect(infoLines(rt).map((l) => l.msg)).toContainEqual(
      expect.stringMatching(/LOCAL runs a stand-in .* install Autosubmit \(pip install autosubmit\)/),
    );
  });
});
