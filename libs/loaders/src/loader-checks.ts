import { LoaderError } from './loader.error';

/** A program named in the settings: exec'd as argv[0] or passed to a wrapper, so never option-like. */
export function ensureProgram(setting: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.startsWith('-') || value.includes('\0')) {
    throw new LoaderError(`${setting} ${JSON.stringify(value)} is not a program name or path`);
  }
  return value;
}

export function ensureModuleCount(loader: string, modules: unknown, min: number, max: number): void {
  if (!Array.isArray(modules) || modules.length < min || modules.length > max) {
    const wanted = min === max ? `exactly ${min}` : `at least ${min}`;
    throw new LoaderError(`the ${loader} loader needs ${wanted} module${max === 1 ? '' : 's'}`);
  }
}
