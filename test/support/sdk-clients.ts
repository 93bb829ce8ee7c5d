import { ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { FIXTURES, ROOT } from './runyard';

const run = promisify(execFile);

export const PYTHON_CLIENT = join(ROOT, 'clients', 'python');
export const SDK_PACKAGE = join(ROOT, 'packages', 'sdk');
export const SDK_FIXTURES = join(FIXTURES, 'runner-sdk');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A client program, run to its end (never rejects: the spec looks at code and output). */
export function runClient(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment a Python client gets: the client importable from the checkout, Runyard's address and token. */
export const pythonEnv = (url: string, token?: string): Record<string, string> => ({
  PYTHONPATH: PYTHON_CLIENT,
  RUNYARD_URL: url,
  ...(token ? { RUNYARD_TOKEN: token } : {}),
});

/** A Python project directory holding the given files (and, unless told otherwise, the seed's examples). */
export function pythonProject(files: Record<string, string> = {}, withSeedExamples = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'runyard-py-project-'));
  if (withSeedExamples) cpSync(join(SDK_FIXTURES, 'python'), dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/**
 * A user's TypeScript project: the twins' sources (plus `files`), @runyard/sdk installed by path as
 * a user would (`npm install /path/to/packages/sdk`, offline), compiled with tsc into dist/.
 */
export async function typescriptProject(files: Record<string, string> = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'runyard-ts-project-'));
  cpSync(join(SDK_FIXTURES, 'typescript'), dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', SDK_PACKAGE], { cwd: dir });
  // The compiler and Node's types come from Runyard's own checkout, as any installed copy would do.
  writeFileSync(
    join(dir, 'tsconfig.build.json'),
    JSON.stringify({ extends: './tsconfig.json', compilerOptions: { typeRoots: [join(ROOT, 'node_modules', '@types')] } }),
  );
  await run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: dir });
  return dir;
}

/** Counts of the SDK's rows, and what its storage directories hold. */
export async function sdkLeftovers(databaseUrl: string): Promise<Record<string, number>> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const counts: Record<string, number> = {};
    for (const t of ['sdk_packages', 'sdk_applications', 'sdk_sessions', 'sdk_executors', 'sdk_calls', 'sdk_objects']) {
      counts[t] = Number((await c.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
    }
    return counts;
  } finally {
    await c.end();
  }
}

export const NOTHING_LEFT = {
  sdk_packages: 0,
  sdk_applications: 0,
  sdk_sessions: 0,
  sdk_executors: 0,
  sdk_calls: 0,
  sdk_objects: 0,
};

/** A TCP proxy in front of the API that counts the bytes it hands to the client: what crossed to it. */
export class CountingProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  toClient = 0;
  port = 0;

  constructor(private readonly target: URL) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      const upstream = connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      upstream.on('data', (d: Buffer) => (this.toClient += d.length));
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server!.address() as { port: number }).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

/** A client process the spec talks to (stdin) or kills. */
export function startClient(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): ChildProcess & { output: () => string } {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return Object.assign(child, { output: () => output });
}
