import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `remote()` records the file that defined a function or class (a registry symbol: any copy of the SDK reads it). */
export const DEFINED_IN = Symbol.for('runyard.definedIn');

const SDK_DIR = dirname(__filename);

/** The first file on the stack outside the SDK: the module calling `remote()`. */
function callerFile(): string | undefined {
  const original = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_e, sites) => sites;
    const sites = new Error().stack as unknown as NodeJS.CallSite[];
    for (const site of sites) {
      const file = site.getFileName();
      if (!file || file.startsWith('node:')) continue;
      const path = file.startsWith('file:') ? fileURLToPath(file) : file;
      if (dirname(path) !== SDK_DIR) return path;
    }
    return undefined;
  } finally {
    Error.prepareStackTrace = original;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function or class may be served
type Servable = ((...args: any[]) => unknown) | (abstract new (...args: any[]) => unknown);

/**
 * Marks a function or class as servable remotely and records which file defines it, so
 * `rr.service()` can name its module to the executor. Export the result from a module inside the
 * package: `export const Counter = remote(class Counter { … })`.
 */
export function remote<T extends Servable>(target: T): T {
  const file = callerFile();
  if (file) Object.defineProperty(target, DEFINED_IN, { value: file, enumerable: false, configurable: true });
  return target;
}

export const definedIn = (target: object): string | undefined => (target as Record<symbol, string | undefined>)[DEFINED_IN];
