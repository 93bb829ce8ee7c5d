import { resolve } from 'node:path';
import { ApiClient, errorFrom } from './api-client';
import { encode } from './codec';
import {
  ApplicationExistsError,
  NoProfileError,
  PackageTooLargeError,
  RunyardError,
  ServiceDefinitionError,
  StorageMissingError,
} from './errors';
import { DEFAULT_EXCLUDES } from './fnmatch';
import { locateService } from './module-locator';
import { ObjectFuture } from './object-future';
import { packDirectory } from './package-archive';
import { SessionClient } from './session-client';
import type { Service } from './service-types';

export interface RunnerOptions {
  /** The directory to package (default: the current one). */
  root?: string;
  /** Glob patterns left out besides Flame's defaults, matched on the path and on the base name (`*.log`, `data/`). */
  excludes?: string[];
  /** The profile whose runner and loader start the executors (default: the first that runs Node). */
  profile?: string;
  /** Use the application if it exists (Flame's fail_if_exists=False); its cleanup is then its owner's. */
  reuse?: boolean;
  /** Where the application's working directory goes on the runner's host. */
  workdir?: string;
  /** Default RUNYARD_URL, else http://127.0.0.1:8080. */
  url?: string;
  /** Default RUNYARD_TOKEN. */
  token?: string;
  /** Where cleanup failures are reported (default: console.warn). */
  warn?: (message: string) => void;
}

export interface ServiceOptions {
  /** Stateless executors serving a function or class at once (a class is then instantiated per executor, unordered). */
  replicas?: number;
  /** The module defining the function or class, when neither remote() nor the CommonJS cache can tell. */
  module?: string | URL;
  /** Its export name, when not found by identity. */
  export?: string;
  /**
   * The session's name (Flame's `SessionContext.session_id`), unique within the application: an open session of
   * that name, of this token and serving the same code, is joined instead of a new one opened.
   */
  session?: string;
}

/** A future's outcome, as select() yields it. */
export type Settled<T> = { future: ObjectFuture<T>; ok: true; value: T } | { future: ObjectFuture<T>; ok: false; error: unknown };

/** Names a service keeps for itself (`then` would make it look like a promise to `await`). */
const RESERVED = ['then', 'close', 'sessionId', 'sessionName', 'constructor'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function or class
type AnyFunction = (...args: any[]) => any;

const isClass = (f: AnyFunction): boolean => /^class[\s{]/.test(Function.prototype.toString.call(f));

/** The public methods (no leading `_`) along the prototype chain, below Object.prototype. */
function methodsOf(proto: object | null): string[] {
  const names = new Set<string>();
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (name !== 'constructor' && !name.startsWith('_') && typeof d?.value === 'function') names.add(name);
    }
  }
  return [...names];
}

/**
 * `await using rr = await Runner.open('counter-app')` packs the current directory (or `root`),
 * uploads it unless Runyard has it already, and registers the application. Leaving the block closes
 * its services, unregisters it, deletes its objects and releases its package, in Flame's order.
 */
export class Runner implements AsyncDisposable {
  private readonly sessions: SessionClient[] = [];
  private owner = false;
  private leaseTimer?: NodeJS.Timeout;
  private closed = false;

  private constructor(
    readonly name: string,
    private readonly api: ApiClient,
    private readonly root: string,
    private readonly excludes: string[],
    private readonly packageSha: string,
    private readonly warn: (message: string) => void,
  ) {}

  static async open(name: string, o: RunnerOptions = {}): Promise<Runner> {
    const api = new ApiClient(o.url ?? process.env.RUNYARD_URL, o.token ?? process.env.RUNYARD_TOKEN);
    const root = resolve(o.root ?? process.cwd());
    const excludes = [...(o.excludes ?? []), ...(process.env.RUNYARD_EXCLUDES ?? '').split(',').filter((e) => e.trim() !== '')];
    const packed = await packDirectory(root, excludes);
    await upload(api, packed.sha256, packed.archive);
    const res = await api.request('POST', '/api/v1/applications', {
      json: {
        name,
        package_sha: packed.sha256,
        runtime: 'node',
        reuse: o.reuse === true,
        ...((o.profile ?? process.env.RUNYARD_PROFILE) ? { profile: o.profile ?? process.env.RUNYARD_PROFILE } : {}),
        ...(o.workdir ? { workdir: o.workdir } : {}),
      },
    });
    if (res.status !== 200 && res.status !== 201) {
      const text = res.body.toString('utf8');
      const Type =
        res.status === 409
          ? ApplicationExistsError
          : res.status === 400 && /no profile can run|cannot run node/.test(text)
            ? NoProfileError
            : RunyardError;
      throw errorFrom(res.status, res.body, Type);
    }
    const app = JSON.parse(res.body.toString('utf8')) as { reused: boolean; lease_ms: number };
    const runner = new Runner(name, api, root, [...DEFAULT_EXCLUDES, ...excludes], packed.sha256, o.warn ?? ((m) => console.warn(m)));
    runner.owner = !app.reused;
    runner.leaseTimer = setInterval(() => void runner.renew(), Math.max(250, app.lease_ms / 3));
    runner.leaseTimer.unref();
    return runner;
  }

  /** Bytes of Runyard's answers this client received (results it fetched, never futures passed on). */
  get bytesReceived(): number {
    return this.api.bytesReceived;
  }

  private async renew(): Promise<void> {
    await this.api
      .json('POST', `/api/v1/applications/${this.name}/lease`, {}, [200])
      .catch((e: Error) => this.warn(`renewing the lease of ${this.name}: ${e.message}`));
  }

  /**
   * Opens a session serving a function (stateless), a class (instantiated once remotely with its
   * default constructor) or an instance (its own enumerable properties shipped); a class or an
   * instance serves one call at a time in submission order. Fails here, not on the first call,
   * when the code cannot be found in the package.
   */
  async service<T extends object>(target: T, o: ServiceOptions = {}): Promise<Service<T>> {
    if (this.closed) throw new RunyardError(`runner ${this.name} is closed`);
    const fn = typeof target === 'function';
    const kind = fn ? (isClass(target as AnyFunction) ? 'class' : 'function') : 'instance';
    const defining = (fn ? target : (target as { constructor: AnyFunction }).constructor) as AnyFunction;
    const label = defining.name || 'the function';
    if (!fn && (defining === Object || !defining))
      throw new ServiceDefinitionError('an instance to serve must be of a class exported from the package');
    const methods = kind === 'function' ? [] : methodsOf(kind === 'class' ? defining.prototype : Object.getPrototypeOf(target));
    const reserved = methods.find((m) => RESERVED.includes(m));
    if (reserved) throw new ServiceDefinitionError(`${label} has a method named ${reserved}, which a service keeps for itself: rename it`);
    if (kind !== 'function' && methods.length === 0) throw new ServiceDefinitionError(`${label} has no public methods to call remotely`);
    const where = await locateService(defining, label, { root: this.root, excludes: this.excludes, module: o.module, export: o.export });
    let state: Buffer;
    try {
      state = encode(kind === 'instance' ? { ...(target as Record<string, unknown>) } : null);
    } catch (e) {
      throw new ServiceDefinitionError(
        `the ${label} instance cannot be shipped (its own properties must be serializable): ${(e as Error).message}`,
      );
    }
    const session = await this.api.json<{ id: number; name: string }>('POST', '/api/v1/sessions', {
      application: this.name,
      ...(o.session === undefined ? {} : { name: o.session }),
      kind,
      codec: 'v8',
      service: state.toString('base64'),
      methods,
      replicas: o.replicas ?? 1,
      module: where.module,
      export: where.export,
    });
    const client = new SessionClient(this.api, this.name, session.id, session.name);
    this.sessions.push(client);
    return serviceOf(client, kind, methods) as Service<T>;
  }

  /** A service on a session another client of the application opened: several clients calling one instance, in one order. */
  async attach<T extends object>(target: T, sessionId: number): Promise<Service<T>> {
    void target; // typing only: the session knows what it serves
    const s = await this.api.json<{ id: number; name: string; application: string; kind: string; methods: string[] }>(
      'GET',
      `/api/v1/sessions/${sessionId}`,
    );
    if (s.application !== this.name)
      throw new RunyardError(`session ${sessionId} belongs to application ${s.application}, not ${this.name}`);
    return serviceOf(new SessionClient(this.api, this.name, s.id, s.name), s.kind, s.methods) as Service<T>;
  }

  /** Flame's get(list): the results in the list's order; rejects with the first failure. */
  async get<T>(futures: readonly ObjectFuture<T>[]): Promise<T[]> {
    return Promise.all(listOfFutures(futures, 'get').map((f) => f.get()));
  }

  /** Flame's wait(list): once every call has run, without downloading large results; rejects with the first failure. */
  async wait(futures: readonly ObjectFuture<unknown>[]): Promise<void> {
    await Promise.all(listOfFutures(futures, 'wait').map((f) => f.wait()));
  }

  /** The futures' outcomes in the order they complete (a future cannot be yielded itself: an async generator would await it). */
  async *select<T>(futures: Iterable<ObjectFuture<T>>): AsyncGenerator<Settled<T>> {
    const pending = new Map(
      [...futures].map((future) => [
        future,
        future.get().then(
          (value): Settled<T> => ({ future, ok: true, value }),
          (error: unknown): Settled<T> => ({ future, ok: false, error }),
        ),
      ]),
    );
    while (pending.size > 0) {
      const settled = await Promise.race(pending.values());
      pending.delete(settled.future);
      yield settled;
    }
  }

  /** Flame's cleanup order, each step's failure reported and the rest still done. A reused application is left to its owner. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.leaseTimer);
    if (!this.owner) return;
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        this.warn(`application ${this.name}: ${what} failed: ${(e as Error).message}`);
      }
    };
    await step('closing its services', async () => {
      const failed = (await Promise.allSettled(this.sessions.map((s) => s.close()))).filter((r) => r.status === 'rejected');
      if (failed.length > 0) throw new Error(failed.map((r) => String((r as PromiseRejectedResult).reason)).join('; '));
    });
    await step('unregistering the application', () => this.api.json('DELETE', `/api/v1/applications/${this.name}`, undefined, [200, 404]));
    await step('deleting its objects', () => this.api.json('DELETE', `/api/v1/objects/${this.name}`, undefined, [204, 404]));
    await step('releasing its package', () => this.api.json('DELETE', `/api/v1/packages/${this.packageSha}`, undefined, [204, 404, 409]));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Uploads the package unless Runyard has it already (an unchanged directory is never uploaded twice). */
async function upload(api: ApiClient, sha: string, archive: Buffer): Promise<void> {
  const found = await api.request('GET', `/api/v1/packages/${sha}?size=${archive.length}`);
  if (found.status === 200) return;
  const typed = (status: number) => (status === 413 ? PackageTooLargeError : status === 503 ? StorageMissingError : RunyardError);
  if (found.status !== 404) throw errorFrom(found.status, found.body, typed(found.status));
  const put = await api.request('PUT', `/api/v1/packages/${sha}`, {
    body: archive,
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (put.status !== 200 && put.status !== 201) throw errorFrom(put.status, put.body, typed(put.status));
}

/** The object a caller uses: a function's twin, or one remote call per method; plus `sessionId`, `sessionName` and `close()`. */
function serviceOf(client: SessionClient, kind: string, methods: string[]): unknown {
  const control = { sessionId: client.id, sessionName: client.name, close: () => client.close() };
  if (kind === 'function') return Object.assign((...args: unknown[]) => client.call('__call__', args), control);
  const service: Record<string, unknown> = { ...control };
  for (const m of methods) service[m] = (...args: unknown[]) => client.call(m, args);
  return service;
}

function listOfFutures<T>(futures: readonly ObjectFuture<T>[], what: string): readonly ObjectFuture<T>[] {
  if (!Array.isArray(futures)) throw new TypeError(`${what}() takes an array of ObjectFuture`);
  const wrong = futures.find((f) => !(f instanceof ObjectFuture));
  if (wrong !== undefined) throw new TypeError(`${what}() takes an array of ObjectFuture; it got ${typeof wrong}`);
  return futures;
}
