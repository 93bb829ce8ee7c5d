import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ServiceDefinitionError } from './errors';
import { isPackedOut } from './fnmatch';
import { definedIn } from './remote';

/** Where the executor finds a function or class: a module relative to the package root, and its export. */
export interface ServiceModule {
  module: string;
  export: string;
}

export interface LocateOptions {
  root: string;
  excludes: readonly string[];
  module?: string | URL;
  export?: string;
}

const pathOf = (m: string | URL): string => (m instanceof URL || m.startsWith('file:') ? fileURLToPath(m) : resolve(m));

/** CommonJS without `remote()`: the loaded module whose exports hold this very function or class. */
function fromRequireCache(target: object): string | undefined {
  for (const m of Object.values(require.cache)) {
    const exports = m?.exports as Record<string, unknown> | undefined;
    if (exports && (exports === target || Object.values(exports).includes(target))) return m!.filename;
  }
  return undefined;
}

/**
 * Finds the module exporting `target` (in this order: the `module` option, what `remote()`
 * recorded, the CommonJS module cache) and the name it exports it under; fails here, at
 * `service()`, saying what to export where — never on the first call.
 */
export async function locateService(target: object, name: string, o: LocateOptions): Promise<ServiceModule> {
  const file = o.module !== undefined ? pathOf(o.module) : (definedIn(target) ?? fromRequireCache(target));
  if (!file) {
    throw new ServiceDefinitionError(
      `cannot tell which module exports ${name}: export it from a file under ${o.root} and wrap it with remote() ` +
        `(export const ${name} = remote(…)), or pass { module: new URL('./file.js', import.meta.url) }`,
    );
  }
  const rel = relative(o.root, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new ServiceDefinitionError(
      `${name} is defined in ${file}, outside the package root ${o.root}: move it under the root or open the Runner with { root }`,
    );
  }
  const module = rel.split(sep).join('/');
  const excludedBy = isPackedOut(module, o.excludes);
  if (excludedBy !== undefined) {
    throw new ServiceDefinitionError(`${module} (which defines ${name}) is excluded from the package by ${JSON.stringify(excludedBy)}`);
  }
  const ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const cjs = (ns.default ?? {}) as Record<string, unknown>;
  const exported =
    o.export ??
    Object.keys(ns).find((k) => k !== 'default' && ns[k] === target) ??
    (typeof cjs === 'object' || typeof cjs === 'function' ? Object.keys(cjs).find((k) => cjs[k] === target) : undefined) ??
    (ns.default === target ? 'default' : undefined);
  if (!exported || (ns[exported] ?? cjs[exported]) !== target) {
    throw new ServiceDefinitionError(`${module} does not export ${name}: add export const ${name} = remote(…) there`);
  }
  return { module, export: exported };
}
