import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TUX_SIGNATURE_HEADER } from '../callback-signature';
import { toOpenSshEcdsaLine } from '../openssh-key';
import { signedCallback } from './callback-signer';
import { allTests, buildStatus, EmulatedResult, EmulatedRun, logsText, resultsJson, testStatus } from './emulator-artifacts';
import { ksuid } from './ksuid';

/** Behaviour switches, settable at start and at runtime through `set()`. */
export interface EmulatorSwitches {
  /** Delay between a submission and its callback (state changes happen in between). Default 200 ms. */
  callbackDelayMs: number;
  /** Send every callback twice (TuxSuite may retry a delivery). */
  duplicateCallbacks: boolean;
  /** The pre-2024 format: a double-JSON-encoded body signed over the inner text. */
  legacyFormat: boolean;
  /** Sign other bytes than those sent: the receiver must refuse the callback. */
  badSignature: boolean;
  /** Put an invalid `\'` escape into the build callback's `git_short_log`, as TuxSuite has done. */
  escapeQuirk: boolean;
  /** Answer 503 to the next n submissions without storing them. */
  failNextSubmissions: number;
  /** Store the next n submissions but answer 503, as when an answer is lost: retries must be de-duplicated. */
  failNextSubmissionsAfterStoring: number;
  buildResult: 'pass' | 'fail';
  /** Per-test results (default 'pass'); null leaves the test out of results.json (the receiver reports MISS). */
  testResults: Record<string, EmulatedResult | null>;
  /** What goes wrong with results.json: not JSON, no `lava` key, or an answer that never comes (a timeout). */
  resultsFault: 'none' | 'not-json' | 'no-lava' | 'hang';
}

export interface TuxSuiteEmulatorOptions extends Partial<EmulatorSwitches> {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  group?: string;
  project?: string;
  token?: string;
  /** Base of download URLs when clients reach the emulator under another address (containers). */
  publicUrl?: string;
}

export interface SentCallback {
  kind: 'build' | 'test';
  uid: string;
  url: string;
  body: string;
  signature: string;
  /** The receiver's HTTP status, or null when the delivery failed (`error`). */
  status: number | null;
  error?: string;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  status: number;
}

export type TuxSuiteEmulator = TuxSuiteEmulatorServer;

const DEFAULT_SWITCHES: EmulatorSwitches = {
  callbackDelayMs: 200,
  duplicateCallbacks: false,
  legacyFormat: false,
  badSignature: false,
  escapeQuirk: false,
  failNextSubmissions: 0,
  failNextSubmissionsAfterStoring: 0,
  buildResult: 'pass',
  testResults: {},
  resultsFault: 'none',
};
/** How long a hanging results.json keeps the client waiting before it answers nothing useful. */
const HANG_MS = 60_000;
const MAX_BODY_BYTES = 1024 * 1024;
const CALLBACK_TIMEOUT_MS = 10_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Starts an in-process TuxSuite stand-in speaking its REST API and sending signed callbacks. */
export async function startTuxSuiteEmulator(opts: TuxSuiteEmulatorOptions = {}): Promise<TuxSuiteEmulator> {
  const emulator = new TuxSuiteEmulatorServer(opts);
  await emulator.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  return emulator;
}

export class TuxSuiteEmulatorServer {
  readonly group: string;
  readonly project: string;
  readonly token: string;
  url = '';
  readonly submissions: EmulatedRun[] = [];
  readonly callbacksSent: SentCallback[] = [];
  readonly requests: ReceivedRequest[] = [];

  private switches: EmulatorSwitches;
  private privateKey!: KeyObject;
  private readonly server: Server;
  private readonly byToken = new Map<string, EmulatedRun>();
  private readonly byUid = new Map<string, EmulatedRun>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly deliveries = new Set<Promise<void>>();
  private readonly callbackWaiters: (() => void)[] = [];
  private publicUrl: string | undefined;

  constructor(opts: TuxSuiteEmulatorOptions) {
    this.group = opts.group ?? 'demo';
    this.project = opts.project ?? 'demo';
    this.token = opts.token ?? 'emulator-token';
    this.publicUrl = opts.publicUrl?.replace(/\/+$/, '');
    const { port: _p, host: _h, group: _g, project: _pr, token: _t, publicUrl: _u, ...switches } = opts;
    this.switches = { ...DEFAULT_SWITCHES, ...switches };
    this.rotateKey();
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.url = `http://${urlHost}:${addr.port}`;
  }

  /** Changes behaviour switches at runtime. */
  set(switches: Partial<EmulatorSwitches>): void {
    this.switches = { ...this.switches, ...switches };
  }

  /** A fresh P-256 key pair: callbacks are signed with it and the keys endpoint answers it from now on. */
  rotateKey(): void {
    this.privateKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  }

  publicKeyLine(): string {
    return toOpenSshEcdsaLine(this.privateKey, 'tuxsuite-emulator');
  }

  /** Resolves once at least `count` callbacks have been sent (and answered or failed). */
  async waitForCallbacks(count: number, timeoutMs = 5000): Promise<SentCallback[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.callbacksSent.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`tuxsuite emulator: ${this.callbacksSent.length} of ${count} callbacks sent after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.callbackWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.callbacksSent;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.deliveries]);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private get projectName(): string {
    return `${this.group}/${this.project}`;
  }

  private downloadUrl(uid: string): string {
    return `${this.publicUrl ?? this.url}/storage/${uid}/`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    const method = req.method ?? 'GET';
    let status: number;
    let answer: unknown;
    let contentType = 'application/json';
    try {
      const result = await this.route(method, path, req);
      status = result.status ?? 200;
      answer = result.body;
      if (typeof answer === 'string') contentType = 'text/plain; charset=utf-8';
    } catch (e) {
      status = e instanceof HttpError ? e.status : 500;
      answer = { error: e instanceof Error ? e.message : String(e) };
    }
    this.requests.push({ method, path, status });
    const payload = typeof answer === 'string' ? answer : JSON.stringify(answer);
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) });
    res.end(payload);
  }

  private async route(method: string, path: string, req: IncomingMessage): Promise<{ status?: number; body: unknown }> {
    const storage = /^\/storage\/([A-Za-z0-9]+)\/(results\.json|logs\.txt)$/.exec(path);
    if (storage && method === 'GET') return this.serveStorage(storage[1], storage[2]);

    const api = /^\/v1\/groups\/([^/]+)\/projects\/([^/]+)\/(builds|tests|keys)(?:\/([A-Za-z0-9]+))?(?:\/(results))?$/.exec(path);
    if (!api) throw new HttpError(404, `no route for ${method} ${path}`);
    if (req.headers.authorization !== this.token) throw new HttpError(401, 'invalid or missing Authorization token');
    const [, group, project, what, uid, sub] = api;
    if (decodeURIComponent(group) !== this.group || decodeURIComponent(project) !== this.project) {
      throw new HttpError(404, `unknown group/project ${group}/${project}`);
    }

    if (what === 'keys' && method === 'GET' && !uid) return { body: { ssh: { pub: this.publicKeyLine() } } };
    if ((what === 'builds' || what === 'tests') && method === 'POST' && !uid) return this.submit(what, await readJson(req));
    if ((what === 'builds' || what === 'tests') && method === 'GET' && uid) {
      const run = this.byUid.get(uid);
      if (!run || run.kind !== what.slice(0, -1)) throw new HttpError(404, `no ${what.slice(0, -1)} ${uid}`);
      if (sub === 'results') return { body: testStatus(run, this.projectName, this.downloadUrl(uid)).results };
      return { body: this.statusOf(run) };
    }
    throw new HttpError(405, `${method} not allowed on ${path}`);
  }

  private submit(what: 'builds' | 'tests', body: unknown): { status: number; body: unknown } {
    if (this.switches.failNextSubmissions > 0) {
      this.switches.failNextSubmissions--;
      throw new HttpError(503, 'service unavailable (emulated)');
    }
    const runs = what === 'builds' ? parseBuilds(body).map((b) => this.store('build', b)) : [this.store('test', parseTest(body))];
    if (this.switches.failNextSubmissionsAfterStoring > 0) {
      this.switches.failNextSubmissionsAfterStoring--;
      throw new HttpError(503, 'gateway timeout after accepting (emulated)');
    }
    return what === 'builds' ? { status: 201, body: runs.map((r) => this.statusOf(r)) } : { status: 201, body: this.statusOf(runs[0]) };
  }

  /** De-duplicates by client_token: a repeated token answers the original run and schedules nothing. */
  private store(kind: 'build' | 'test', request: Record<string, unknown>): EmulatedRun {
    const clientToken = typeof request.client_token === 'string' && request.client_token !== '' ? request.client_token : undefined;
    const existing = clientToken ? this.byToken.get(`${kind}:${clientToken}`) : undefined;
    if (existing) return existing;
    const run: EmulatedRun = {
      kind,
      uid: ksuid(),
      clientToken,
      request,
      state: kind === 'build' ? 'queued' : 'waiting',
      submittedAt: new Date(),
    };
    this.submissions.push(run);
    this.byUid.set(run.uid, run);
    if (clientToken) this.byToken.set(`${kind}:${clientToken}`, run);
    const waitingFor = /^BUILD#([A-Za-z0-9]+)$/.exec(String(request.waiting_for ?? ''))?.[1];
    const awaited = waitingFor ? this.byUid.get(waitingFor) : undefined;
    if (!awaited || awaited.state === 'finished') this.progress(run);
    return run;
  }

  /** queued/waiting → provisioning → building/running → finished, then the callback. */
  private progress(run: EmulatedRun): void {
    const delay = this.switches.callbackDelayMs;
    const active = run.kind === 'build' ? 'building' : 'running';
    this.after(delay / 3, () => (run.state = 'provisioning'));
    this.after((2 * delay) / 3, () => (run.state = active));
    this.after(delay, () => this.finish(run));
  }

  private finish(run: EmulatedRun): void {
    run.finishedAt = new Date();
    if (run.kind === 'build') {
      run.result = this.switches.buildResult;
    } else {
      run.testResults = Object.fromEntries(
        allTests(run.request).map((t) => [t, t in this.switches.testResults ? this.switches.testResults[t] : 'pass']),
      );
      const values = Object.values(run.testResults);
      run.result = values.includes('fail') ? 'fail' : values.includes('error') ? 'error' : 'pass';
    }
    run.state = 'finished';
    if (run.kind === 'build') {
      for (const test of this.submissions) {
        if (test.kind === 'test' && test.state === 'waiting' && test.request.waiting_for === `BUILD#${run.uid}`) this.progress(test);
      }
    }
    const callback = run.request.callback;
    if (typeof callback !== 'string' || callback === '') return;
    const times = this.switches.duplicateCallbacks ? 2 : 1;
    const delivery = (async () => {
      for (let i = 0; i < times; i++) await this.deliver(run, callback);
    })();
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }

  private async deliver(run: EmulatedRun, url: string): Promise<void> {
    const { legacyFormat, badSignature, escapeQuirk } = this.switches;
    const payload = { kind: run.kind, status: this.statusOf(run) };
    const { body, signature } = signedCallback(payload, this.privateKey, {
      legacyFormat,
      badSignature,
      escapeQuirk: escapeQuirk && run.kind === 'build',
    });
    const extra = isStringMap(run.request.callback_headers) ? run.request.callback_headers : {};
    const sent: SentCallback = { kind: run.kind, uid: run.uid, url, body, signature, status: null };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { ...extra, 'Content-Type': 'application/json', [TUX_SIGNATURE_HEADER]: signature },
        body,
        signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      sent.status = res.status;
    } catch (e) {
      sent.error = e instanceof Error ? e.message : String(e);
    }
    this.callbacksSent.push(sent);
    this.callbackWaiters.splice(0).forEach((wake) => wake());
  }

  private statusOf(run: EmulatedRun): Record<string, unknown> {
    const url = this.downloadUrl(run.uid);
    return run.kind === 'build' ? buildStatus(run, this.projectName, url) : testStatus(run, this.projectName, url);
  }

  private async serveStorage(uid: string, file: string): Promise<{ body: unknown }> {
    const run = this.byUid.get(uid);
    if (!run || run.state !== 'finished') throw new HttpError(404, `no artifacts for ${uid}`);
    if (file === 'logs.txt') return { body: logsText(run) };
    const fault = this.switches.resultsFault;
    if (fault === 'not-json') return { body: '<html>storage error</html>' };
    if (fault === 'no-lava') return { body: { tuxrun: 'no test suite ran' } };
    if (fault === 'hang') await new Promise<void>((r) => this.after(HANG_MS, r));
    return { body: resultsJson(run) };
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

function parseBuilds(body: unknown): Record<string, unknown>[] {
  if (!isRecord(body) || !Array.isArray(body.builds) || body.builds.length === 0)
    throw new HttpError(400, '"builds" must be a non-empty list');
  return body.builds.map((b, i) => {
    if (!isRecord(b)) throw new HttpError(400, `builds[${i}] must be an object`);
    for (const field of ['git_repo', 'target_arch', 'toolchain']) {
      if (typeof b[field] !== 'string' || b[field] === '') throw new HttpError(400, `builds[${i}].${field} is required`);
    }
    if (typeof b.git_ref !== 'string' && typeof b.git_sha !== 'string') throw new HttpError(400, `builds[${i}] needs git_ref or git_sha`);
    const kconfig = b.kconfig;
    if (!(typeof kconfig === 'string' || (Array.isArray(kconfig) && kconfig.every((k) => typeof k === 'string')))) {
      throw new HttpError(400, `builds[${i}].kconfig must be a string or a list of strings`);
    }
    checkCallback(b, `builds[${i}]`);
    return b;
  });
}

function parseTest(body: unknown): Record<string, unknown> {
  if (!isRecord(body)) throw new HttpError(400, 'test request must be an object');
  if (typeof body.device !== 'string' || body.device === '') throw new HttpError(400, 'device is required');
  if (typeof body.kernel !== 'string' && typeof body.waiting_for !== 'string') throw new HttpError(400, 'kernel is required');
  if (body.tests !== undefined && !(Array.isArray(body.tests) && body.tests.every((t) => typeof t === 'string'))) {
    throw new HttpError(400, 'tests must be a list of strings');
  }
  checkCallback(body, 'test');
  return body;
}

function checkCallback(entry: Record<string, unknown>, where: string): void {
  if (entry.callback === undefined) return;
  if (typeof entry.callback !== 'string' || !/^https?:\/\//.test(entry.callback))
    throw new HttpError(400, `${where}.callback must be an http(s) URL`);
  if (entry.callback_headers !== undefined && !isStringMap(entry.callback_headers)) {
    throw new HttpError(400, `${where}.callback_headers must map names to strings`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringMap(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
}
