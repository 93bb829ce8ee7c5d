import { spawn } from 'node:child_process';
import { mkdir, writeFile, access } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * A package name npm's registry takes (lower-case, URL-safe, at most 214 characters, not led by `.` or
 * `_`), and further not led by `-` or `~`: nothing npm could read as an option or a path.
 */
const NPM_NAME = /^(?:@[a-z0-9][a-z0-9-._~]*\/)?[a-z0-9][a-z0-9-._~]*$/;
const BUILTINS = new Set(builtinModules.map((m) => m.replace(/^node:/, '')));
const INSTALL_TIMEOUT_MS = 5 * 60_000;

export const isNpmPackageName = (name: string): boolean => name.length <= 214 && NPM_NAME.test(name);

/** A script's npm packages, as Automn's runner finds them: `require`, `import … from`, `export … from`, `import()`. */
export function nodeDependencies(code: string): { install: string; requests: string[] }[] {
  const found = new Map<string, Set<string>>();
  const patterns = [
    /import\s+(?:[^'";]+?\s+from\s+)?["']([^"']+)["']/g,
    /export\s+[^'";]*?from\s+["']([^"']+)["']/g,
    /require\(\s*["']([^"']+)["']\s*\)/g,
    /import\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const m of code.matchAll(pattern)) {
      const request = m[1].trim();
      // Relative and absolute paths and Node's own modules are no packages.
      if (!request || request.startsWith('.') || request.startsWith('/') || request.startsWith('node:')) continue;
      const parts = request.split('/');
      const install = request.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      if (BUILTINS.has(parts[0]) || BUILTINS.has(install)) continue;
      if (!found.has(install)) found.set(install, new Set());
      found.get(install)!.add(request);
    }
  }
  return [...found].map(([install, requests]) => ({ install, requests: [...requests] }));
}

/** Whether `request` resolves from the cache directory (its node_modules). */
function resolves(request: string, dir: string): boolean {
  try {
    createRequire(join(dir, 'package.json')).resolve(request);
    return true;
  } catch {
    return false;
  }
}

/** Automn's directory key of a script: its id with anything but letters, digits, `-` and `_` made `-`. */
export const scriptKey = (id: string): string => (id || 'anonymous').replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, 128);

/**
 * The npm packages of the agent's Node scripts: one cache directory per script (Automn's per-script
 * install), filled by `npm install` (argv, no shell) from the registry. Packages' install scripts do
 * not run (`--ignore-scripts`): the agent runs as root and a package's name is the script author's
 * choice. Installs into one directory are one at a time.
 */
export class NodePackages {
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(private readonly root: string) {}

  dirOf(key: string): string {
    return join(this.root, scriptKey(key));
  }

  private async prepare(dir: string, key: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const manifest = join(dir, 'package.json');
    await access(manifest).catch(() =>
      writeFile(
        manifest,
        `${JSON.stringify({ name: `automn-script-${scriptKey(key).toLowerCase()}`, private: true, version: '1.0.0' }, null, 2)}\n`,
      ),
    );
  }

  /** Each package with whether it is there; installs the missing ones when asked (a failure is said per package). */
  async status(key: string, names: string[], install: boolean) {
    const dir = this.dirOf(key);
    await this.prepare(dir, key);
    const statuses = names.map((name) => ({
      name,
      status: resolves(name, dir) ? 'installed' : 'not_installed',
      message: resolves(name, dir) ? null : ('Package not present' as string | null),
    }));
    const missing = statuses.filter((s) => s.status === 'not_installed').map((s) => s.name);
    if (!install || missing.length === 0) return { statuses, error: null };
    try {
      await this.install(dir, missing, () => undefined);
      for (const s of statuses) if (missing.includes(s.name)) Object.assign(s, { status: 'installed', message: 'Installed' });
      return { statuses, error: null };
    } catch (e) {
      for (const s of statuses) if (missing.includes(s.name)) Object.assign(s, { status: 'error', message: (e as Error).message });
      return { statuses, error: (e as Error).message };
    }
  }

  /** Makes the script's packages resolvable; answers the directory for NODE_PATH, or throws why not. */
  async ensure(key: string, code: string, onLog: (text: string) => void): Promise<string | null> {
    const deps = nodeDependencies(code);
    if (deps.length === 0) return null;
    const bad = deps.map((d) => d.install).filter((n) => !isNpmPackageName(n));
    if (bad.length > 0) throw new Error(`Not an npm package name: ${bad.map((n) => JSON.stringify(n)).join(', ')}`);
    const dir = this.dirOf(key);
    await this.prepare(dir, key);
    const missing = deps.filter((d) => !d.requests.some((r) => resolves(r, dir))).map((d) => d.install);
    if (missing.length > 0) {
      onLog(`Installing npm dependencies: ${missing.join(', ')}\n`);
      try {
        await this.install(dir, missing, onLog);
      } catch (e) {
        throw new Error(`Failed to install npm dependencies: ${missing.join(', ')}\n${(e as Error).message}`, { cause: e });
      }
    }
    return join(dir, 'node_modules');
  }

  private install(dir: string, names: string[], onLog: (text: string) => void): Promise<void> {
    const previous = this.busy.get(dir) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => npmInstall(dir, names, onLog));
    this.busy.set(dir, next);
    return next;
  }
}

function npmInstall(dir: string, names: string[], onLog: (text: string) => void): Promise<void> {
  // `--` ends npm's options: a name cannot be read as one (they are checked against npm's rules anyway).
  const argv = [
    'install',
    '--no-audit',
    '--no-fund',
    '--loglevel',
    'error',
    '--save',
    '--progress=false',
    '--prefer-offline',
    '--ignore-scripts',
    '--',
    ...names,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('npm', argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: INSTALL_TIMEOUT_MS });
    let output = '';
    const keep = (c: Buffer) => {
      output = (output + c.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (e) => reject(new Error(`npm: ${e.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const text = output.trim();
      if (text) onLog(`${text}\n`);
      reject(new Error(`npm install exited with ${code ?? signal}${text ? `: ${text.split('\n').slice(-5).join('\n')}` : ''}`));
    });
  });
}
