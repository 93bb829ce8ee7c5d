import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from './support/fake-autosubmit';
import { call, eventually } from './support/http';
import { profilesYaml, runReachableDir, RunyardUnderTest, startRunyard } from './support/runyard';
import { pythonEnv, pythonProject, startClient } from './support/sdk-clients';

const ADMIN = 'run-isolation-admin-secret';
const MINE = 'mine-0f-the-profile-2026';
const OTHER = 'other-profile-secret-2026';
const SSH_KEY = '-----BEGIN OPENSSH PRIVATE KEY----- isolation';

/**
 * A hostile run, as an operator could submit it: it tries every way out of its run it can find and
 * reports each attempt. Runyard must leave it nothing: `leaks` stays empty.
 */
const HOSTILE = String.raw`
import json, os, subprocess
inp = json.loads(os.environ.get("INPUT_JSON") or open(os.environ["HOSTILE_INPUT"]).read())
leaks, refused = [], []

def attempt(what, fn):
    try:
        fn()
        leaks.append(what)
    except Exception:
        refused.append(what)

for name in inp["env_names"]:
    if name in os.environ:
        leaks.append("env " + name)
own = {k: v for k, v in os.environ.items() if not k.endswith("INPUT_JSON")}
for value in inp["env_values"]:
    if any(value in v for v in own.values()):
        leaks.append("a secret value in the environment")
for pid in inp["pids"]:
    attempt("environ of %d" % pid, lambda: open("/proc/%d/environ" % pid, "rb").read())
    attempt("signal %d" % pid, lambda: os.kill(pid, 0))
for path in inp["files"]:
    attempt("read " + path, lambda: open(path, "rb").read())
for d in inp["dirs"]:
    attempt("list " + d, lambda: os.listdir(d))
for d in inp.get("write_dirs", []):
    attempt("write in " + d, lambda: open(os.path.join(d, "planted"), "x").close())
# No way back to root: what the kernel holds for it, and what a setuid-root program runs as.
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines())
privileges = {k: status[k].strip() for k in ("NoNewPrivs", "CapPrm", "CapEff", "CapAmb")}
if inp.get("setuid_root"):
    privileges["setuid root euid"] = subprocess.run([inp["setuid_root"], "-u"], capture_output=True, text=True).stdout.strip()
# What Runyard reads back as root must not follow the run's links.
os.symlink("/etc/shadow", os.environ["RUNYARD_RESULT_FILE"])
print(json.dumps({"leaks": leaks, "refused": refused, "uid": os.getuid(), "home": os.environ.get("HOME"), "privileges": privileges}))
`;

type Report = { leaks: string[]; refused: string[]; uid: number; home: string; privileges: Record<string, string> };

/** What a run holds when it cannot regain root: no_new_privs, no capability, a setuid-root program runs as its own uid. */
const unprivileged = (uid: number) => ({
  NoNewPrivs: '1',
  CapPrm: '0000000000000000',
  CapEff: '0000000000000000',
  CapAmb: '0000000000000000',
  'setuid root euid': String(uid),
});

/**
 * A setuid-root copy of `id` in a directory runs can reach: `id -u` prints the effective uid, 0 for
 * any account that may gain privileges by exec.
 */
function setuidRootId(dir: string): string {
  const path = join(dir, 'id');
  copyFileSync('/usr/bin/id', path);
  chownSync(path, 0, 0);
  chmodSync(path, 0o4755);
  return path;
}

/** The API calls the specs make of one Runyard, as its admin. */
function client(get: () => RunyardUnderTest) {
  const api = (method: string, path: string, body?: unknown) => call(get().url, method, path, body, ADMIN);
  const ended = (id: number) =>
    eventually(async () => {
      const r = (await api('GET', `/api/v1/runs/${id}`)).body;
      return ['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'].includes(r.status) && r;
    }, 30_000);
  const script = async (body: Record<string, unknown>) => {
    const res = await api('POST', '/api/v1/scripts/run', { language: 'python', ...body });
    expect(res.status).toBe(202);
    return res.body.id as number;
  };
  const report = async (id: number) => {
    const done = await ended(id);
    const logs = (await api('GET', `/api/v1/runs/${id}/logs`)).text;
    const line = logs.split('\n').find((l) => l.startsWith('{"leaks"'));
    if (!line) throw new Error(`run ${id} ${done.status} (${done.detail}) printed no report:\n${logs}`);
    return { done, report: JSON.parse(line) as Report };
  };
  return { api, ended, script, report };
}

describe('run isolation: a run reaches nothing that is not its own', () => {
  let rt: RunyardUnderTest;
  const { api, ended, script, report } = client(() => rt);
  // An "Autosubmit" that is the hostile program, reading what to try from a file beside it.
  const hostile = runReachableDir('runyard-hostile-');
  writeFileSync(join(hostile, 'autosubmit'), `#!/usr/bin/python3\n${HOSTILE}`);
  chmodSync(join(hostile, 'autosubmit'), 0o755);
  const setuidRoot = setuidRootId(hostile);
  /** Another run, still running, with files of its own: what an attacking run reaches for. */
  const victimRun = async () => {
    const id = await script({ profile_name: 'OTHER', code: 'import time\nopen("mine.txt", "w").write("victim")\ntime.sleep(30)\n' });
    return eventually(async () => {
      const r = (await api('GET', `/api/v1/runs/${id}`)).body;
      return r.status === 'ACTIVE' && r;
    });
  };
  /** The processes of Runyard under test: the API (with its worker) and its spawn helper. */
  const runyardPids = () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const helpers = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map(Number)
      .filter((pid) => {
        try {
          const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          return ppid === rt.api.child.pid && fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('spawn-helper');
        } catch {
          return false;
        }
      });
    return [rt.api.child.pid!, ...helpers];
  };

  beforeAll(async () => {
    rt = await startRunyard({
      config: profilesYaml(`
    SCRIPTS:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SCRIPT_RUNTIMES: [python, shell]
      SECRETS: [ISO_MINE]
    OTHER:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SCRIPT_RUNTIMES: [python]
      SECRETS: [ISO_OTHER]
    NO_SCRIPTS:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
    HOSTILE_AUTOSUBMIT:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      AUTOSUBMIT_EXECUTABLE: ${hostile}/autosubmit
      SECRETS: [ISO_MINE]
    SDK:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SDK_RUNTIMES: [python]
`),
      env: {
        AUTH_MODE: 'token',
        RUNYARD_BOOTSTRAP_TOKEN: ADMIN,
        ISO_MINE: MINE,
        ISO_OTHER: OTHER,
        ISO_SSH_KEY: SSH_KEY,
        HOSTILE_INPUT: join(hostile, 'input.json'),
        RUN_ENV_ALLOW: 'FAKE_AUTOSUBMIT_*,HOSTILE_INPUT',
      },
    });
  });
  afterAll(() => rt?.close());

  it('a script run executes as a uid of its own and finds none of Runyard, no other run, no other secret', async () => {
    const active = await victimRun();
    const data = rt.env.RUNYARD_DATA_DIR;
    const pids = runyardPids();
    expect(pids.length).toBeGreaterThanOrEqual(2); // the API and its spawn helper at least
    const attacker = await script({
      profile_name: 'SCRIPTS',
      code: HOSTILE,
      input: {
        env_names: ['DATABASE_URL', 'REDIS_URL', 'RUNYARD_BOOTSTRAP_TOKEN', 'RUNYARD_DATA_DIR', 'ISO_OTHER', 'ISO_SSH_KEY'],
        env_values: [OTHER, SSH_KEY, ADMIN, rt.databaseUrl],
        pids: [...pids, active.pid],
        files: [join(active.run_dir, 'mine.txt'), join(active.run_dir, 'script.py'), join(active.run_dir, 'executor-token')],
        dirs: [join(data, 'runs'), data, active.run_dir],
      },
    });
    const { done, report: r } = await report(attacker);
    expect(r.leaks).toEqual([]);
    expect(r.refused).toEqual(
      expect.arrayContaining([`environ of ${rt.api.child.pid}`, `signal ${active.pid}`, `list ${join(data, 'runs')}`]),
    );
    // Its own account, and its own home: neither Runyard's (root) nor the victim's.
    expect(r.uid).not.toBe(0);
    expect(r.home).toBe(done.run_dir);
    expect(statSync(done.run_dir, { throwIfNoEntry: false })).toBeUndefined(); // released
    // Its own secret reached it (masked in what it printed); the link it left as its result was not followed.
    expect(done.status).toBe('COMPLETED');
    expect(JSON.stringify(done.result ?? {})).not.toMatch(/root:/);
    await api('POST', `/api/v1/runs/${active.id}/stop`);
    await ended(active.id);
  });

  it('a run cannot regain root: a setuid-root program runs as its own uid, it holds no capability, /etc/shadow and other runs stay closed', async () => {
    // The probe is sound: an account free to gain privileges by exec becomes root through it.
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups', '--', setuidRoot, '-u'];
    expect(execFileSync('setpriv', asNobody, { encoding: 'utf8' }).trim()).toBe('0');
    const active = await victimRun();
    const runs = join(rt.env.RUNYARD_DATA_DIR, 'runs');
    const attacker = await script({
      profile_name: 'SCRIPTS',
      code: HOSTILE,
      input: {
        env_names: [],
        env_values: [],
        pids: [],
        files: ['/etc/shadow'],
        dirs: [],
        write_dirs: [active.run_dir, runs],
        setuid_root: setuidRoot,
      },
    });
    const { done, report: r } = await report(attacker);
    expect(r.leaks).toEqual([]);
    expect(r.refused).toEqual(['read /etc/shadow', `write in ${active.run_dir}`, `write in ${runs}`]);
    expect(r.uid).not.toBe(0);
    expect(r.privileges).toEqual(unprivileged(r.uid));
    expect(done.status).toBe('COMPLETED');
    expect(existsSync(join(active.run_dir, 'planted'))).toBe(false);
    await api('POST', `/api/v1/runs/${active.id}/stop`);
    await ended(active.id);
  });

  it('an Autosubmit run through a LOCAL profile is held the same way (a hostile autosubmit finds nothing)', async () => {
    const data = rt.env.RUNYARD_DATA_DIR;
    writeFileSync(
      join(hostile, 'input.json'),
      JSON.stringify({
        env_names: ['DATABASE_URL', 'REDIS_URL', 'RUNYARD_BOOTSTRAP_TOKEN', 'ISO_OTHER', 'ISO_SSH_KEY'],
        env_values: [OTHER, SSH_KEY, ADMIN],
        pids: runyardPids(),
        files: [],
        dirs: [join(data, 'runs'), data],
        setuid_root: setuidRoot,
      }),
    );
    const res = await api('POST', '/api/v1/runs', { expid: 'h001', profile_name: 'HOSTILE_AUTOSUBMIT' });
    expect(res.status).toBe(202);
    const { done, report: r } = await report(res.body.id);
    expect(r.leaks).toEqual([]);
    expect(r.refused).toEqual(expect.arrayContaining([`environ of ${rt.api.child.pid}`, `list ${join(data, 'runs')}`]));
    expect(r.uid).not.toBe(0);
    expect(r.privileges).toEqual(unprivileged(r.uid));
    expect(done.status).toBe('COMPLETED');
  });

  it("an SDK executor's credential is out of another run's reach, and the executor still serves its client under a uid of its own", async () => {
    const project = pythonProject(
      {
        'victim.py': `from runyard import Runner
import sys

def echo(x):
    import time
    time.sleep(float(x))
    return x

with Runner("victim-app", profile="SDK") as rr:
    svc = rr.service(echo)
    print("started", flush=True)
    print(svc("6").get(), flush=True)
`,
      },
      false,
    );
    const victim = startClient('python3', ['victim.py'], project, pythonEnv(rt.url, ADMIN));
    try {
      const executor = await eventually(async () => {
        const runs = (await api('GET', '/api/v1/runs?kind=session&limit=10')).body.runs as { id: number; status: string }[];
        const active = runs.find((r) => r.status === 'ACTIVE');
        return active && (await api('GET', `/api/v1/runs/${active.id}`)).body;
      }, 30_000);
      const attacker = await script({
        profile_name: 'SCRIPTS',
        code: HOSTILE,
        input: {
          env_names: [],
          env_values: [],
          pids: [executor.pid],
          files: [join(executor.run_dir, 'executor-token')],
          dirs: [executor.run_dir],
        },
      });
      const { report: r } = await report(attacker);
      expect(r.leaks).toEqual([]);
      expect(r.refused).toEqual([
        `environ of ${executor.pid}`,
        `signal ${executor.pid}`,
        `read ${join(executor.run_dir, 'executor-token')}`,
        `list ${executor.run_dir}`,
      ]);
      await new Promise((resolve) => victim.once('close', resolve));
      expect(victim.output()).toContain('started\n6\n');
    } finally {
      victim.kill('SIGKILL');
    }
  });

  it("a run on a pull agent running as root finds neither the agent's secret nor its state file nor its process", async () => {
    const registered = await api('POST', '/api/v1/agents', { id: 'iso1', tags: ['iso'] });
    expect(registered.status).toBe(201);
    const secret = registered.body.secret as string;
    const stateDir = join(rt.dir, 'agent-iso1');
    const agent = rt.startAgent(
      { RUNYARD_URL: rt.url, RUNYARD_AGENT_ID: 'iso1', RUNYARD_AGENT_SECRET: secret, RUNYARD_AGENT_STATE_DIR: stateDir },
      'agent-iso1',
    );
    const attacker = await script({
      agent: 'iso1',
      code: HOSTILE,
      input: {
        env_names: ['RUNYARD_AGENT_SECRET', 'RUNYARD_AGENT_ID', 'RUNYARD_URL'],
        env_values: [secret],
        pids: [agent.child.pid],
        files: [join(stateDir, 'agent-state.json')],
        dirs: [stateDir, join(stateDir, 'runs')],
        setuid_root: setuidRoot,
      },
    });
    const { done, report: r } = await report(attacker);
    expect(r.leaks).toEqual([]);
    expect(r.refused).toEqual(expect.arrayContaining([`environ of ${agent.child.pid}`, `read ${join(stateDir, 'agent-state.json')}`]));
    expect(r.uid).not.toBe(0);
    expect(r.privileges).toEqual(unprivileged(r.uid));
    expect(done.status).toBe('COMPLETED');
  });

  it('what a run leaves running, even in a session of its own, ends with the run', async () => {
    const id = await script({
      language: 'shell',
      profile_name: 'SCRIPTS',
      code: 'setsid sleep 300 </dev/null >/dev/null 2>&1 &\necho "left $!"',
    });
    const done = await ended(id);
    expect(done.status).toBe('COMPLETED');
    const pid = Number(/left (\d+)/.exec((await api('GET', `/api/v1/runs/${id}/logs`)).text)?.[1]);
    expect(pid).toBeGreaterThan(0);
    await eventually(async () => !processAlive(pid), 10_000, 'the process the run left behind to end');
  });

  it('script runs on the worker host need a profile that allows their language: others are refused, saying which key allows them', async () => {
    const refused = await api('POST', '/api/v1/scripts/run', { language: 'python', code: 'print(1)', profile_name: 'NO_SCRIPTS' });
    expect(refused.status).toBe(400);
    expect(refused.body.error_message).toMatch(/SCRIPT_RUNTIMES/);
    const node = await api('POST', '/api/v1/scripts/run', { language: 'node', code: 'console.log(1)' });
    expect(node.status).toBe(400);
    expect(node.body.error_message).toMatch(/no profile runs node scripts.*SCRIPT_RUNTIMES/);
    // Without a profile, the first one (by name) that allows the language takes it.
    const picked = await api('POST', '/api/v1/scripts/run', { language: 'shell', code: 'echo hi' });
    expect(picked.status).toBe(202);
    expect(picked.body.profile).toBe('SCRIPTS');
    expect((await ended(picked.body.id)).status).toBe('COMPLETED');
  });
});

describe('run isolation with the embedded PostgreSQL', () => {
  let rt: RunyardUnderTest;
  const { script, report } = client(() => rt);

  beforeAll(async () => {
    rt = await startRunyard({
      embedded: true,
      config: profilesYaml(`
    SCRIPTS:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SCRIPT_RUNTIMES: [python]
`),
      env: { AUTH_MODE: 'token', RUNYARD_BOOTSTRAP_TOKEN: ADMIN },
    });
  });
  afterAll(() => rt?.close());

  it("a run can neither read the database's password (postgres.json) nor list Runyard's data directory", async () => {
    const data = rt.env.RUNYARD_DATA_DIR;
    const attacker = await script({
      profile_name: 'SCRIPTS',
      code: HOSTILE,
      input: {
        env_names: ['DATABASE_URL', 'RUNYARD_BOOTSTRAP_TOKEN'],
        env_values: [ADMIN],
        pids: [rt.api.child.pid],
        files: [join(data, 'postgres.json'), join(data, 'runyard.lock')],
        dirs: [data, join(data, 'postgres')],
      },
    });
    const { report: r } = await report(attacker);
    expect(r.leaks).toEqual([]);
    expect(r.refused).toEqual(expect.arrayContaining([`read ${join(data, 'postgres.json')}`, `list ${data}`]));
  });
});

describe('run isolation across two Runyards on one host', () => {
  const both: RunyardUnderTest[] = [];
  const config = profilesYaml(`
    SCRIPTS:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      SCRIPT_RUNTIMES: [shell]
`);

  beforeAll(async () => {
    both.push(...(await Promise.all([startRunyard({ config }), startRunyard({ config })])));
  });
  afterAll(() => Promise.all(both.map((rt) => rt.close())));

  it('never gives their runs one uid (two workers, or a worker and an agent, with data directories of their own)', async () => {
    // Run 1 of each: the same id under two data directories. The shorter one ends first; its release must not touch the other.
    const ids = await Promise.all(
      both.map(async (rt, i) => {
        const res = await call(rt.url, 'POST', '/api/v1/scripts/run', { language: 'shell', code: `id -u; sleep ${i === 0 ? 4 : 1}` });
        expect(res.status).toBe(202);
        return res.body.id as number;
      }),
    );
    expect(ids).toEqual([1, 1]);
    const done = await Promise.all(
      both.map((rt, i) =>
        eventually(async () => {
          const r = (await call(rt.url, 'GET', `/api/v1/runs/${ids[i]}`)).body;
          return ['COMPLETED', 'FAILED', 'TERMINATED', 'LOST'].includes(r.status) && r;
        }, 30_000),
      ),
    );
    expect(done.map((r) => `${r.status}: ${r.detail}`)).toEqual(['COMPLETED: exit code 0', 'COMPLETED: exit code 0']);
    const uids = await Promise.all(both.map(async (rt, i) => (await call(rt.url, 'GET', `/api/v1/runs/${ids[i]}/logs`)).text.trim()));
    expect(new Set(uids).size).toBe(2);
  });
});
