import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { ApiClient, errorFrom } from './api-client';
import { decode, encode, refKeyOf } from './codec';
import { remoteError, RemoteErrorInfo, RunyardError } from './errors';
import { readTar } from './tar';

/** Results and state up to this size travel inside the exchange; larger ones are uploaded first. */
const INLINE_MAX = 128 * 1024;
/** What one exchange carries inline at most (the API reads bodies of at most 1 MiB). */
const BATCH_INLINE_MAX = 512 * 1024;
/** Several fast calls are committed together, unless the first result would wait longer than this. */
const BATCH_MS = 20;
const TAKE = 64;
const WAIT_MS = 25_000;
/** How long the executor keeps trying to reach an API that does not answer before it gives up. */
const UNREACHABLE_MS = 120_000;

interface Brief {
  session: number;
  application: string;
  kind: 'function' | 'class' | 'instance';
  ordered: boolean;
  methods: string[];
  module: string;
  export: string;
  service_key: string;
  state: { version: number; key: string } | null;
  package: { sha256: string; size: number };
  workdir: string | null;
}

interface Call {
  id: number;
  method: string;
  args: string | null;
  args_key: string | null;
}

type Result = { call: number; ok: true; codec: 'v8'; data?: string; staged?: true } | { call: number; ok: false; error: RemoteErrorInfo };

/** The session ended or replaced this executor: it stops quietly. */
class Gone extends Error {}

/** Runyard's storage directory or file is not there: waiting does not bring it back (unlike a restarting API). */
function storageGone(status: number, body: Buffer): boolean {
  if (status !== 503) return false;
  try {
    return (JSON.parse(body.toString('utf8')) as { storage?: string }).storage !== undefined;
  } catch {
    return false;
  }
}

/** What Postgres can store: no NUL, well-formed Unicode. */
const clean = (s: unknown): string => String(s).replace(/\0/g, '').toWellFormed();

export function describeError(e: unknown): RemoteErrorInfo {
  if (e instanceof Error)
    return {
      type: clean(e.name || e.constructor?.name || 'Error'),
      message: clean(e.message),
      stack: e.stack ? clean(e.stack) : undefined,
    };
  return { type: typeof e, message: clean(e) };
}

/**
 * The Node executor of a Runner SDK session, started by a runner through a loader in its run
 * directory: over HTTP it reads what to serve, the package, the calls in order, and sends results
 * (and an ordered service's state) back.
 */
export class Executor {
  private brief!: Brief;
  private target: unknown;
  private exported?: new () => object;
  private version = 0;
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly api: ApiClient) {}

  private async request(method: string, path: string, o: Parameters<ApiClient['request']>[2] = {}) {
    const deadline = Date.now() + UNREACHABLE_MS;
    let delay = 250;
    for (;;) {
      let res;
      try {
        res = await this.api.request(method, path, o);
      } catch (e) {
        if (Date.now() > deadline) throw e;
        console.error(`runyard executor: ${(e as Error).message}; trying again`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
        continue;
      }
      if (res.status === 410) throw new Gone(errorFrom(res.status, res.body).message);
      if (res.status >= 500 && Date.now() < deadline && !storageGone(res.status, res.body)) {
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
        continue;
      }
      return res;
    }
  }

  private async json<T>(method: string, path: string, payload?: unknown): Promise<T> {
    const res = await this.request(method, path, payload === undefined ? {} : { json: payload });
    if (![200, 201, 204].includes(res.status)) throw errorFrom(res.status, res.body);
    return (res.body.length ? JSON.parse(res.body.toString('utf8')) : undefined) as T;
  }

  private async fetch(key: string): Promise<Buffer> {
    for (;;) {
      const res = await this.request('GET', `/api/v1/executor/objects/${key}?wait_ms=${WAIT_MS}`, { headers: { accept: '*/*' } });
      if (res.status === 200) return res.body;
      if (res.status === 202) continue;
      const err = errorFrom(res.status, res.body);
      if (res.status === 424 && err.body.remote_error) throw remoteError(err.body.remote_error as RemoteErrorInfo);
      throw err;
    }
  }

  async fatal(message: string): Promise<void> {
    await this.json('POST', '/api/v1/executor/fatal', { message: clean(message) }).catch(() => undefined);
  }

  /** `{workdir}/{name}` with the package extracted into `extracted_{name}`, replaced when the package changed. */
  private async prepare(): Promise<string> {
    const b = this.brief;
    // In the run account's home: a uid of its own has the run directory as its home, a RUN_AS account shares it between runs.
    const base = b.workdir ?? process.env.RUNYARD_WORKDIR ?? join(homedir(), '.runyard', 'apps');
    const appDir = resolve(base, b.application);
    const extracted = join(appDir, `extracted_${b.application}`);
    const marker = join(extracted, '.runyard-package');
    await mkdir(appDir, { recursive: true });
    if ((await readFile(marker, 'utf8').catch(() => '')).trim() !== b.package.sha256) {
      const res = await this.request('GET', '/api/v1/executor/package', { headers: { accept: '*/*' } });
      if (res.status !== 200) throw errorFrom(res.status, res.body);
      const staging = await mkdtemp(join(appDir, '.extract-'));
      for (const f of readTar(gunzipSync(res.body))) {
        const target = resolve(staging, f.path);
        if (!target.startsWith(staging + sep)) continue;
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, f.data, { mode: f.mode & 0o777 });
      }
      // Complete before it appears: another executor of the application may start using it at once.
      await this.provideSdk(staging);
      await writeFile(join(staging, '.runyard-package'), b.package.sha256);
      const current = async () => (await readFile(marker, 'utf8').catch(() => '')).trim() === b.package.sha256;
      // One executor at a time replaces it: another one must never move away what was just put there for it.
      await withDirLock(join(appDir, '.extract-lock'), async () => {
        if (await current()) {
          await rm(staging, { recursive: true, force: true }); // another executor of the application was quicker
          return;
        }
        if (existsSync(extracted)) {
          // Another package under the same name: the old one is moved away whole.
          const old = join(appDir, `.old-${process.pid}-${Date.now()}`);
          await rename(extracted, old);
          await rm(old, { recursive: true, force: true });
        }
        await rename(staging, extracted);
      });
    }
    process.chdir(appDir);
    return extracted;
  }

  /** The package's modules import '@runyard/sdk' (for remote()); node_modules is not packed, so this executor's own copy serves. */
  private async provideSdk(dir: string): Promise<void> {
    try {
      require.resolve('@runyard/sdk', { paths: [dir] });
      return;
    } catch {
      const sdk = join(dir, 'node_modules', '@runyard', 'sdk');
      await mkdir(sdk, { recursive: true });
      for (const f of await readdir(__dirname)) if (f.endsWith('.js')) await copyFile(join(__dirname, f), join(sdk, f));
      await writeFile(join(sdk, 'package.json'), JSON.stringify({ name: '@runyard/sdk', main: 'index.js', type: 'commonjs' }));
    }
  }

  private async load(extracted: string): Promise<void> {
    const b = this.brief;
    const file = join(extracted, b.module);
    const ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const exported = ns[b.export] ?? (ns.default as Record<string, unknown> | undefined)?.[b.export];
    if (typeof exported !== 'function')
      throw new RunyardError(
        `${b.export} is not exported by ${b.module} of the package (found: ${Object.keys(ns).join(', ') || 'nothing'})`,
      );
    this.exported = exported as new () => object;
    await this.instantiate();
  }

  /** The service as the brief says: its last committed state, else a new instance or the one shipped. */
  private async instantiate(): Promise<void> {
    const b = this.brief;
    const Target = this.exported!;
    this.version = b.state?.version ?? 0;
    if (b.kind === 'function') this.target = Target;
    else if (b.state) this.target = Object.assign(Object.create(Target.prototype), decode<object>(await this.fetch(b.state.key)));
    else if (b.kind === 'class') this.target = new Target();
    else this.target = Object.assign(Object.create(Target.prototype), decode<object>(await this.fetch(b.service_key)));
  }

  private async resolve(v: unknown): Promise<unknown> {
    const key = refKeyOf(v);
    if (key === undefined) return v;
    if (!this.cache.has(key)) {
      if (this.cache.size > 16) this.cache.clear();
      this.cache.set(key, decode(await this.fetch(key)));
    }
    return this.cache.get(key);
  }

  private async run(call: Call): Promise<Result> {
    let data: Buffer;
    try {
      const raw = call.args !== null ? Buffer.from(call.args, 'base64') : await this.fetch(call.args_key!);
      const args = await Promise.all(decode<unknown[]>(raw).map((a) => this.resolve(a)));
      const target = this.target as Record<string, (...a: unknown[]) => unknown>;
      const value =
        call.method === '__call__' ? await (this.target as (...a: unknown[]) => unknown)(...args) : await target[call.method](...args);
      data = encode(value);
    } catch (e) {
      return { call: call.id, ok: false, error: describeError(e) };
    }
    if (data.length <= INLINE_MAX) return { call: call.id, ok: true, codec: 'v8', data: data.toString('base64') };
    try {
      await this.upload(`/api/v1/executor/uploads/calls/${call.id}`, data);
    } catch (e) {
      if (!(e instanceof RunyardError) || e.body.storage === undefined) throw e;
      // Runyard cannot keep the result: the caller learns it now, with the admin's fix, not after the executor's retries.
      const message = `the result (${data.length} bytes) could not be stored: ${e.message}`;
      return { call: call.id, ok: false, error: { type: 'StorageLostError', message } };
    }
    return { call: call.id, ok: true, codec: 'v8', staged: true };
  }

  private async snapshot(): Promise<Record<string, unknown>> {
    this.version += 1;
    const data = encode({ ...(this.target as Record<string, unknown>) });
    if (data.length <= INLINE_MAX) return { version: this.version, codec: 'v8', data: data.toString('base64') };
    await this.upload(`/api/v1/executor/uploads/state/${this.version}`, data);
    return { version: this.version, codec: 'v8', staged: true };
  }

  private async upload(path: string, data: Buffer): Promise<void> {
    const res = await this.request('PUT', path, { body: data, headers: { 'content-type': 'application/octet-stream' } });
    if (res.status !== 200 && res.status !== 201) throw errorFrom(res.status, res.body);
  }

  private async serve(): Promise<void> {
    const queue: Call[] = [];
    let done: Result[] = [];
    let inline = 0;
    let started = 0;
    for (;;) {
      if (queue.length > 0) {
        const call = queue.shift()!;
        if (done.length === 0) started = Date.now();
        const result = await this.run(call);
        done.push(result);
        inline += 'data' in result && result.data ? result.data.length : 0;
        if (queue.length > 0 && Date.now() - started <= BATCH_MS && inline < BATCH_INLINE_MAX) continue;
      }
      const exchange: Record<string, unknown> = {
        results: done,
        max: queue.length > 0 ? 0 : TAKE,
        wait_ms: queue.length > 0 ? 0 : WAIT_MS,
      };
      let lost: string | null = null;
      if (this.brief.ordered && done.length > 0) {
        try {
          exchange.state = await this.snapshot();
        } catch (e) {
          if (!(e instanceof RunyardError) || e.body.storage === undefined) throw e;
          // The state these calls made cannot be kept: they fail now (not after the executor's retries),
          // and the instance goes back to its last committed state, as if they never ran.
          lost = `the instance's state after this call could not be stored: ${e.message}`;
          const error = { type: 'StorageLostError', message: lost };
          exchange.results = done.map((r) => (r.ok ? { call: r.call, ok: false, error } : r));
        }
      }
      const answer = await this.json<{ open: boolean; calls: Call[] }>('POST', '/api/v1/executor/exchange', exchange);
      done = [];
      inline = 0;
      if (lost !== null) {
        this.brief = await this.json<Brief>('GET', '/api/v1/executor/session');
        await this.instantiate();
      }
      if (!answer.open) return;
      queue.push(...answer.calls);
    }
  }

  /** The executor's life: brief, package, service, calls until the session closes. */
  async main(): Promise<void> {
    try {
      this.brief = await this.json<Brief>('GET', '/api/v1/executor/session');
      console.log(
        `runyard executor: session ${this.brief.session} of ${this.brief.application} (${this.brief.kind}), Node ${process.version} on ${hostname()}`,
      );
      try {
        await this.load(await this.prepare());
      } catch (e) {
        if (e instanceof Gone) throw e;
        console.error(e);
        await this.fatal(`${(e as Error).name}: ${(e as Error).message}`);
        process.exitCode = 1;
        return;
      }
      await this.serve();
    } catch (e) {
      if (!(e instanceof Gone)) throw e;
      console.log(`runyard executor: ${e.message}`);
    }
    console.log('runyard executor: session closed');
  }
}

/**
 * Runs `fn` holding a lock directory (mkdir is atomic): executors of one application starting on one
 * host take turns. A lock older than STALE_LOCK_MS was left by an executor that died holding it.
 */
async function withDirLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const since = (await stat(lock).catch(() => null))?.mtimeMs;
      if (since !== undefined && Date.now() - since > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new RunyardError(`${lock} is held by another executor for too long`);
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
const LOCK_WAIT_MS = 120_000;
const STALE_LOCK_MS = 60_000;
