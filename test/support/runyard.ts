import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, cpSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createDatabase, redisForSuite } from './services';

export const ROOT = resolve(__dirname, '..', '..');
/** Every directory from `dir` up lets other accounts through. */
const enterable = (dir: string): boolean => (statSync(dir).mode & 0o001) !== 0 && (dir === dirname(dir) || enterable(dirname(dir)));

/**
 * The fixtures (the stand-in autosubmit, modulefiles …) where runs can reach them: runs execute as
 * accounts of their own, so a checkout under a private directory (/root) is copied out once per process.
 */
export const FIXTURES = ((checkout: string) => {
  if (process.getuid?.() !== 0 || enterable(checkout)) return checkout;
  const copy = mkdtempSync(join(tmpdir(), 'runyard-fixtures-'));
  chmodSync(copy, 0o755);
  cpSync(checkout, copy, { recursive: true });
  return copy;
})(resolve(__dirname, '..', 'fixtures'));

/**
 * A test's own directory that runs may enter (their accounts are not the test's): 0711, so they can
 * reach what the test leaves for them but not list it.
 */
export function runReachableDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o711);
  return dir;
}

/** A state directory the test shares with runs (the stand-in autosubmit's pid files): world-writable and sticky, like /tmp. */
export function sharedStateDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o1777);
  return dir;
}
const API_MAIN = join(ROOT, 'dist', 'apps', 'api', 'main.js');
const WORKER_MAIN = join(ROOT, 'dist', 'apps', 'worker', 'main.js');
const AGENT_MAIN = join(ROOT, 'dist', 'apps', 'agent', 'main.js');

export interface RunyardProcess {
  child: ChildProcess;
  exited: Promise<number | string | null>;
  /** SIGTERM (graceful) or SIGKILL (a crash), then wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

export interface RunyardUnderTest {
  url: string;
  dir: string;
  databaseUrl: string;
  env: Record<string, string>;
  /** Every argv the stand-in autosubmit was called with, one JSON array per line. */
  argvLog: string;
  api: RunyardProcess;
  /** Stops the API process (gracefully) and starts it again on the same port, database and queue. */
  restartApi(signal?: NodeJS.Signals): Promise<void>;
  startWorker(extraEnv?: Record<string, string>): Promise<RunyardProcess>;
  /** Another API instance on the same database and queue; answers its URL. */
  startApi(): Promise<string>;
  /** A runner agent process (apps/agent) with the stand-in autosubmit first on PATH, but no database or queue settings. */
  startAgent(env: Record<string, string>, logName: string): RunyardProcess;
  close(): Promise<void>;
}

export interface StartOptions {
  /** The YAML of RUNYARD_CONFIG. */
  config: string;
  env?: Record<string, string>;
  /** `all` = API and worker in one process (npm start); `api` = worker processes started apart. */
  role?: 'all' | 'api';
  /** Embedded mode: no DATABASE_URL, no REDIS_URL. */
  embedded?: boolean;
  /** Rewrites the database / Redis URL Runyard gets (e.g. through a TcpProxy the test cuts). */
  databaseVia?: (url: string) => string;
  redisVia?: (url: string) => string;
  /** What start-up waits for: `ready` (/health/ready 200, the default) or `alive` (/health 200, e.g. with Redis away). */
  waitFor?: 'ready' | 'alive';
  /** The processes' working directory (where a default ./runyard.yaml is looked for); the test's own by default. */
  cwd?: string;
}

function redisEnv(via: (url: string) => string = (u) => u): Record<string, string> {
  const { url, prefix } = redisForSuite();
  return { REDIS_URL: via(url), QUEUE_PREFIX: prefix };
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** Node's flags for a worker process: those of `npm run start:worker`, so the tests start workers as users do. */
const WORKER_NODE_FLAGS: string[] = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts['start:worker']
  .split(' ')
  .filter((a) => a.startsWith('--'));

function launch(main: string, env: Record<string, string>, logFile: string, cwd?: string): RunyardProcess {
  const flags = main === WORKER_MAIN ? WORKER_NODE_FLAGS : [];
  const child = spawn(process.execPath, [...flags, main], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  // Nest re-raises the signal after its shutdown hooks: a graceful stop ends with SIGTERM, not 0.
  const exited = new Promise<number | string | null>((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  return {
    child,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The built runner agent (dist/apps/agent/main.js) as a real process, its output in `logFile`. */
export function startAgentProcess(env: Record<string, string>, logFile: string): RunyardProcess {
  return launch(AGENT_MAIN, env, logFile);
}

async function waitHealthy(url: string, proc: RunyardProcess, logFile: string, waitFor: 'ready' | 'alive' = 'ready'): Promise<void> {
  const probe = waitFor === 'ready' ? '/health/ready' : '/health';
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`Runyard exited with ${proc.child.exitCode}; see ${logFile}`);
    try {
      if ((await fetch(`${url}${probe}`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Runyard did not become ${waitFor}; see ${logFile}`);
}

/**
 * Starts the built Runyard (`npm test` builds first) as real processes against the real Postgres
 * and Redis, with the stand-in autosubmit and conda first on PATH.
 */
export async function startRunyard(opts: StartOptions): Promise<RunyardUnderTest> {
  const dir = runReachableDir('runyard-e2e-');
  const configFile = join(dir, 'runyard.yaml');
  writeFileSync(configFile, opts.config);
  // The stand-in autosubmit runs as the runs' accounts: it appends to this log and keeps pid files in a shared, sticky state directory.
  const argvLog = join(dir, 'autosubmit-argv.log');
  writeFileSync(argvLog, '');
  chmodSync(argvLog, 0o666);
  const fakeState = join(dir, 'fake-autosubmit');
  mkdirSync(fakeState, { mode: 0o1777 });
  chmodSync(fakeState, 0o1777);
  const db = opts.embedded ? null : await createDatabase();
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: `${join(FIXTURES, 'bin')}:${process.env.PATH}`,
    HOME: process.env.HOME ?? '/root',
    PORT: String(port),
    HOST: '127.0.0.1',
    RUNYARD_PUBLIC_URL: `http://127.0.0.1:${port}`,
    // Most suites test behaviour, not access: the auth suite turns tokens on.
    AUTH_MODE: 'none',
    RUNYARD_CONFIG: configFile,
    RUNYARD_DATA_DIR: join(dir, 'data'),
    HEARTBEAT_MS: '500',
    LOST_AFTER_MS: '3000',
    STOP_GRACE_MS: '2000',
    MODULEPATH: join(FIXTURES, 'modulefiles'),
    FAKE_AUTOSUBMIT_LOG: argvLog,
    FAKE_AUTOSUBMIT_STATE: fakeState,
    // What runs inherit from Runyard's environment besides PATH, the locale and Lmod's settings.
    RUN_ENV_ALLOW: 'FAKE_AUTOSUBMIT_*',
    ...(db ? { DATABASE_URL: opts.databaseVia ? opts.databaseVia(db.url) : db.url, ...redisEnv(opts.redisVia) } : {}),
    ...opts.env,
  };
  const logFile = join(dir, 'runyard.log');
  const url = `http://127.0.0.1:${port}`;
  const api = launch(API_MAIN, { ...env, RUNYARD_ROLE: opts.role ?? 'all' }, logFile, opts.cwd);
  await waitHealthy(url, api, logFile, opts.waitFor);
  const workers: RunyardProcess[] = [];
  const rt: RunyardUnderTest = {
    url,
    dir,
    databaseUrl: db?.url ?? '',
    env,
    argvLog,
    api,
    restartApi: async (signal = 'SIGTERM') => {
      await rt.api.stop(signal);
      rt.api = launch(API_MAIN, { ...env, RUNYARD_ROLE: opts.role ?? 'all' }, logFile, opts.cwd);
      await waitHealthy(url, rt.api, logFile, opts.waitFor);
    },
    startWorker: async (extraEnv = {}) => {
      const w = launch(WORKER_MAIN, { ...env, ...extraEnv }, logFile);
      workers.push(w);
      return w;
    },
    startAgent: (agentEnv, logName) => {
      const base = {
        PATH: env.PATH,
        HOME: env.HOME,
        FAKE_AUTOSUBMIT_LOG: argvLog,
        FAKE_AUTOSUBMIT_STATE: env.FAKE_AUTOSUBMIT_STATE,
        RUN_ENV_ALLOW: env.RUN_ENV_ALLOW,
      };
      const agent = startAgentProcess({ ...base, ...agentEnv }, join(dir, `${logName}.log`));
      workers.push(agent);
      return agent;
    },
    startApi: async () => {
      const apiPort = await freePort();
      const other = launch(API_MAIN, { ...env, PORT: String(apiPort), RUNYARD_ROLE: 'api' }, logFile);
      workers.push(other);
      await waitHealthy(`http://127.0.0.1:${apiPort}`, other, logFile);
      return `http://127.0.0.1:${apiPort}`;
    },
    close: async () => {
      await Promise.all([...workers, rt.api].map((p) => p.stop()));
      await db?.drop();
    },
  };
  return rt;
}

/** A profile file in seed 001's format (plus seed 000's RUNNERS block). */
export function profilesYaml(extraProfiles = '', extraRunners = '', extraRunnerConfiguration = ''): string {
  return `
RUNNER_CONFIGURATION:
  PROFILES:
    LOCAL_NO_MODULE:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
    LOCAL_CONDA:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: CONDA
      MODULES: autosubmit-env
    LOCAL_LMOD:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: LMOD
      MODULES: autosubmit
    LOCAL_OPEN:
      RUNNER_TYPE: LOCAL
    OLD_AUTOSUBMIT:
      RUNNER_TYPE: LOCAL
      MODULE_LOADER_TYPE: NO_MODULE
      STOP_CONFIRM_ON_STDIN: True
    MY_RUNNER_PROFILE_1:
      RUNNER_TYPE: SSH
      MODULE_LOADER_TYPE: LMOD
      MODULES: autosubmit
      SSH:
        HOST: autosubmit.example.com
        PORT: 22
        USER: autosubmit_user
${extraProfiles}
  SSH_PUBLIC_KEYS:
    - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKeyOne runyard@test
${extraRunnerConfiguration}
RUNNERS:
  LOCAL:
    ENABLED: True
    MODULE_LOADERS:
      CONDA:
        ENABLED: True
      VENV:
        ENABLED: True
        SAFE_ROOT_PATH: /tmp
      NO_MODULE:
        ENABLED: True
      LMOD:
        ENABLED: True
${extraRunners}
`;
}
