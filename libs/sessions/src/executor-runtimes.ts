import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Profile, SdkRuntime } from '@runyard/config';
import type { RunFile } from '@runyard/persistence';
import { UnavailableError } from '@runyard/runs';
import { zipArchive } from './zip-archive';

/** How a session's executor starts in its run directory, whatever runner and loader start the interpreter. */
export interface ExecutorRuntime {
  readonly runtime: SdkRuntime;
  /** The interpreter the profile names for this runtime, else the default on PATH (the loader may take it from a venv). */
  program(profile: Profile): string;
  /** The interpreter's arguments and the files they name: the executor's own code travels with the run. */
  start(): Promise<{ args: string[]; files: RunFile[] }>;
}

/** The checkout (or image) Runyard runs from: where the clients' code is. */
function sourceRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'clients', 'python', 'runyard', '__init__.py'))) return dir;
  }
  throw new UnavailableError('the Runner SDK clients are missing from this installation (clients/python, packages/sdk)');
}

const b64 = (data: Buffer): string => data.toString('base64');

/** `python3 runyard-executor.pyz`: the Python client as a zipapp whose __main__ is `runyard.runpy`. */
export class PythonExecutorRuntime implements ExecutorRuntime {
  readonly runtime = 'python';
  private files?: Promise<RunFile[]>;

  program(profile: Profile): string {
    return profile.PYTHON_EXECUTABLE ?? 'python3';
  }

  async start() {
    this.files ??= this.build();
    this.files.catch(() => (this.files = undefined));
    return { args: ['runyard-executor.pyz'], files: await this.files };
  }

  private async build(): Promise<RunFile[]> {
    const dir = join(sourceRoot(), 'clients', 'python', 'runyard');
    const names = (await readdir(dir)).filter((n) => n.endsWith('.py')).sort();
    const files = await Promise.all(names.map(async (n) => ({ name: `runyard/${n}`, data: await readFile(join(dir, n)) })));
    const main = Buffer.from('from runyard.runpy import main\n\nmain()\n');
    return [{ name: 'runyard-executor.pyz', content: b64(zipArchive([{ name: '__main__.py', data: main }, ...files])) }];
  }
}

/** `node runyard-executor.js`: the TypeScript SDK's compiled files, flat, beside a package.json that makes them CommonJS. */
export class NodeExecutorRuntime implements ExecutorRuntime {
  readonly runtime = 'node';
  private files?: Promise<RunFile[]>;

  program(profile: Profile): string {
    return profile.NODE_EXECUTABLE ?? 'node';
  }

  async start() {
    this.files ??= this.build();
    this.files.catch(() => (this.files = undefined));
    return { args: ['runyard-executor.js'], files: await this.files };
  }

  private async build(): Promise<RunFile[]> {
    const dist = join(sourceRoot(), 'packages', 'sdk', 'dist');
    const names = existsSync(join(dist, 'runyard-executor.js')) ? (await readdir(dist)).filter((n) => n.endsWith('.js')).sort() : [];
    if (names.length === 0) throw new UnavailableError(`the Node SDK is not built (${dist} is missing): run npm run build`);
    const files = await Promise.all(names.map(async (n) => ({ name: n, content: b64(await readFile(join(dist, n))) })));
    return [...files, { name: 'package.json', content: b64(Buffer.from('{"type":"commonjs"}\n')) }];
  }
}

export const EXECUTOR_RUNTIMES: Readonly<Record<SdkRuntime, ExecutorRuntime>> = {
  python: new PythonExecutorRuntime(),
  node: new NodeExecutorRuntime(),
};
