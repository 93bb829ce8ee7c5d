import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, embeddedDataDir, postmaster, removeEmbeddedDataDir } from './support/embedded-data-dir';
import { call, eventually } from './support/http';
import { freePort, profilesYaml, ROOT, RunyardUnderTest, startRunyard } from './support/runyard';

/** The embedded PostgreSQL's life beside Runyard's: kills, second starts, neighbours. */
describe('embedded PostgreSQL lifecycle', () => {
  const dataDirs: string[] = [];
  const running: RunyardUnderTest[] = [];

  async function embedded(dataDir: string): Promise<RunyardUnderTest> {
    const rt = await startRunyard({ config: profilesYaml(), embedded: true, env: { RUNYARD_DATA_DIR: dataDir } });
    running.push(rt);
    return rt;
  }

  async function completed(rt: RunyardUnderTest, expid: string): Promise<number> {
    const res = await call(rt.url, 'POST', '/v4/runners/command/run-experiment', { expid, profile_name: 'LOCAL_NO_MODULE' });
    expect(res.status).toBe(200);
    await eventually(async () => (await call(rt.url, 'GET', `/api/v1/runs/${res.body.run_id}`)).body.status === 'COMPLETED');
    return res.body.run_id;
  }

  afterAll(async () => {
    await Promise.all(running.map((rt) => rt.close()));
    dataDirs.forEach(removeEmbeddedDataDir);
  });

  it('after a SIGKILL, the next start stops the server left running and keeps the runs', async () => {
    const dataDir = embeddedDataDir();
    dataDirs.push(dataDir);
    const rt = await embedded(dataDir);
    await completed(rt, 'k001');
    const left = postmaster(dataDir)!;

    await rt.api.stop('SIGKILL');
    expect(alive(left.pid)).toBe(true); // PostgreSQL outlives a killed Runyard

    await rt.restartApi();
    const now = postmaster(dataDir)!;
    expect(now.pid).not.toBe(left.pid);
    expect(alive(left.pid)).toBe(false);
    expect(readFileSync(join(rt.dir, 'runyard.log'), 'utf8')).toContain(
      `stopped the PostgreSQL server ${left.pid} that a killed Runyard had left running`,
    );
    const runs = (await call(rt.url, 'GET', '/api/v1/runs?kind=run')).body.runs;
    expect(runs.map((r: { expid: string; status: string }) => [r.expid, r.status])).toEqual([['k001', 'COMPLETED']]);
    await completed(rt, 'k002');
  });

  it('refuses a second Runyard on the same data dir, saying which process holds it', async () => {
    const dataDir = embeddedDataDir();
    dataDirs.push(dataDir);
    const rt = await embedded(dataDir);
    const server = postmaster(dataDir)!;
    const second = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'api', 'main.js')], {
      env: { ...rt.env, PORT: String(await freePort()), RUNYARD_ROLE: 'all' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    second.stdout!.on('data', (d) => (output += d));
    second.stderr!.on('data', (d) => (output += d));
    const code = await new Promise((resolve) => second.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(output).toContain(`Embedded database directory ${dataDir} is in use by process ${rt.api.child.pid}`);
    // One line says it, through the server's logger, with no stack trace.
    expect(output.split('\n').filter((l) => l.includes('is in use by process'))).toHaveLength(1);
    expect(output).not.toMatch(/^\s+at /m);
    expect(postmaster(dataDir)).toEqual(server); // the first one's server, untouched
    expect((await call(rt.url, 'GET', '/health/ready')).status).toBe(200);
  });

  it('runs two Runyards on two data dirs side by side, each with its own database', async () => {
    const dirs = [embeddedDataDir(), embeddedDataDir()];
    dataDirs.push(...dirs);
    const [a, b] = await Promise.all(dirs.map(embedded));
    await Promise.all([completed(a, 'n001'), completed(b, 'n001')]);
    await completed(b, 'n002');
    const expids = async (rt: RunyardUnderTest) =>
      (await call(rt.url, 'GET', '/api/v1/runs?kind=run')).body.runs.map((r: { expid: string }) => r.expid);
    expect(await expids(a)).toEqual(['n001']);
    expect(await expids(b)).toEqual(['n002', 'n001']);
    const [pa, pb] = dirs.map((d) => postmaster(d)!);
    expect(pa.port).not.toBe(pb.port);
    expect(pa.pid).not.toBe(pb.pid);
  });
});
