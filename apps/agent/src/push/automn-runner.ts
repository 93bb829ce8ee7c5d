import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { arch, machine, platform, uptime } from 'node:os';
import { join } from 'node:path';
import {
  AUTOMN_MIN_SECRET_LENGTH,
  AUTOMN_MINIMUM_HOST_VERSION,
  AUTOMN_RUNNER_VERSION,
  AUTOMN_SECRET_HEADER,
  AutomnRegistration,
  AutomnRunRequest,
  registerPath,
} from '@runyard/agent-protocol';
import { log } from '../agent-log';
import { sameText } from '../constant-time';
import { detectRuntimes, LocalJobs, LocalRun } from '../local-jobs';
import { StateFile } from '../state-file';
import { DispatchVerifier } from './dispatch-verifier';
import { FollowedRun } from './followed-run';
import { isNpmPackageName, NodePackages } from './node-packages';
import { executeScript } from './script-execution';

/** Automn's runner variables (seed 003), read by agent-config.ts. */
export interface AutomnRunnerConfig {
  hostUrl?: string;
  runnerId?: string;
  /** AUTOMN_RUNNER_SECRET: managed by the environment, the setup form and /internal/reset may not change it. */
  envSecret?: string;
  endpointUrl?: string;
  port: number;
  /** AUTOMN_RUNNER_LISTEN_HOST, loopback by default. */
  listenHost: string;
  stateFile: string;
  workDir: string;
  heartbeatMs: number;
  maxConcurrency?: number;
  localMaxConcurrency?: number;
  timeoutMs?: number;
  resetToken?: string;
  statusMessage: string;
  /** Between SIGTERM and SIGKILL when a script is stopped (its timeout, its client gone, the agent shutting down). */
  killGraceMs: number;
  /** How long a script of a Runyard host's (signed) dispatch runs on after its answer closed, for a worker to take it over. */
  reattachMs: number;
}

interface RunnerState {
  secret?: string | null;
  lockedAt?: string | null;
  registeredAt?: string | null;
  hostUrl?: string | null;
  runnerId?: string | null;
  endpointUrl?: string | null;
  lastRegistrationStatus?: string | null;
  lastRegistrationResponse?: unknown;
  lastRegistrationAttempt?: string | null;
  lastRegistrationError?: string | null;
  /** The Runyard host's dispatch key, pinned at the first registration that gave one. */
  dispatchKey?: string | null;
  /** Nonces of the signed dispatches taken, until their window is over: none is taken twice, restarts included. */
  dispatchNonces?: Record<string, number>;
  /** Scripts under way: stopped at start, their client (the host's request) is gone. */
  runs?: LocalRun[];
}

const MAX_BODY = 1024 * 1024;

class TooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new TooLarge());
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
};

const html = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Automn's runner service, verbatim where it matters to a host (its routes, bodies, statuses and
 * their order, JSONL frames, registration as heartbeat), fixed where Automn is weak: secrets and
 * reset tokens compared in constant time, the state file written atomically (0600), a client that
 * disconnects stops its script (a Runyard host's worker may come back for it first: followed-run.ts),
 * the timeout escalates to SIGKILL, no idle timeout, signed dispatches from a Runyard host instead of a
 * reusable secret.
 */
export class AutomnRunner {
  private readonly state: StateFile<RunnerState>;
  private readonly jobs: LocalJobs;
  private verifier = new DispatchVerifier();
  private readonly runtimes = detectRuntimes();
  private s: RunnerState = {};
  private server?: Server;
  private readonly runs = new Map<number, LocalRun>();
  /** Runs of signed dispatches, by the host's run id: their answer may change hands (followed-run.ts). */
  private readonly followed = new Map<string, FollowedRun>();
  private readonly packages: NodePackages;
  private active = 0;
  private nextId = Date.now();
  private heartbeatTimer?: NodeJS.Timeout;
  private draining = false;
  private cancelling = false;

  constructor(private readonly config: AutomnRunnerConfig) {
    this.state = new StateFile(config.stateFile);
    this.jobs = new LocalJobs(join(config.workDir, 'runs'));
    this.packages = new NodePackages(join(config.workDir, 'packages'));
  }

  private get secret(): string | null {
    return this.config.envSecret ?? this.s.secret ?? null;
  }

  private get secretSource(): 'env' | 'state' {
    return this.config.envSecret ? 'env' : 'state';
  }

  async start(): Promise<void> {
    this.s = await this.state.read();
    this.s.runnerId = this.config.runnerId ?? this.s.runnerId ?? null;
    this.s.hostUrl = this.config.hostUrl ?? this.s.hostUrl ?? null;
    this.s.endpointUrl = this.config.endpointUrl ?? this.s.endpointUrl ?? null;
    this.verifier = new DispatchVerifier(this.s.dispatchNonces ?? {});
    this.verifier.pin(this.s.dispatchKey ?? undefined);
    const leftovers = this.s.runs ?? [];
    await this.persist();
    process.on('SIGTERM', () => this.onSignal());
    process.on('SIGINT', () => this.onSignal());
    this.server = createServer((req, res) => void this.route(req, res));
    // Automn's requests have no time limit: a script may stream its answer for days.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(this.config.port, this.config.listenHost, resolve));
    log('info', `Automn runner ${this.s.runnerId ?? '(no id)'} listening on ${this.config.listenHost}:${this.config.port}`);
    // Scripts of a previous life: their client (the host's request) is gone, so they are stopped.
    for (const run of leftovers) {
      await this.jobs.signal(run, 'SIGKILL').catch(() => undefined);
      await this.jobs.release(run).catch(() => undefined);
    }
    // Listening first: the host may send a run as soon as it has heard from the runner.
    if (this.secret && this.s.hostUrl && this.s.runnerId) await this.register('startup');
    this.heartbeatTimer = setInterval(() => void this.register('heartbeat'), this.config.heartbeatMs);
  }

  private persist(): Promise<void> {
    const { secret, ...rest } = this.s;
    // A secret of the environment is never written to disk.
    return this.state.write({
      ...rest,
      ...(this.secretSource === 'state' ? { secret: secret ?? null } : {}),
      dispatchNonces: this.verifier.nonces,
      runs: [...this.runs.values()],
    });
  }

  private summary() {
    return {
      runnerId: this.s.runnerId ?? null,
      hostUrl: this.s.hostUrl ?? null,
      endpointUrl: this.s.endpointUrl ?? null,
      secretConfigured: Boolean(this.secret),
      secretSource: this.secretSource,
      locked: Boolean(this.s.lockedAt),
      registeredAt: this.s.registeredAt ?? null,
      lastRegistrationAttempt: this.s.lastRegistrationAttempt ?? null,
      lastRegistrationError: this.s.lastRegistrationError ?? null,
      lastRegistrationStatus: this.s.lastRegistrationStatus ?? null,
      lastRegistrationResponse: this.s.lastRegistrationResponse ?? null,
    };
  }

  // --- registration (also the heartbeat) ---

  async register(reason: string): Promise<{ ok: boolean; error?: string; response?: unknown }> {
    const secret = this.secret;
    const { hostUrl, runnerId, endpointUrl } = this.s;
    if (!secret || !hostUrl || !runnerId || !endpointUrl) {
      return { ok: false, error: 'Runner is missing configuration. Ensure host URL, runner id, endpoint URL, and secret are provided.' };
    }
    const body: AutomnRegistration = {
      secret,
      endpoint: endpointUrl,
      statusMessage: `${this.config.statusMessage} (${reason})`,
      ...(this.config.maxConcurrency ? { maxConcurrency: this.config.maxConcurrency } : {}),
      ...(this.config.timeoutMs ? { timeoutMs: this.config.timeoutMs } : {}),
      version: AUTOMN_RUNNER_VERSION,
      minimumHostVersion: AUTOMN_MINIMUM_HOST_VERSION,
      os: platform(),
      platform: arch(),
      arch: machine(),
      uptime: Math.floor(uptime()),
      runtimes: this.runtimes,
      dispatchSignatures: 'ed25519',
      heartbeatMs: this.config.heartbeatMs,
    };
    this.s.lastRegistrationAttempt = new Date().toISOString();
    try {
      const res = await fetch(new URL(registerPath(runnerId), hostUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: Record<string, unknown> | null = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = { raw: text };
      }
      if (!res.ok) {
        const message = String(
          parsed?.error_message ?? (typeof parsed?.error === 'string' ? parsed.error : `${res.status} ${res.statusText}`),
        );
        Object.assign(this.s, { lastRegistrationError: message, lastRegistrationStatus: 'error', lastRegistrationResponse: parsed });
        await this.persist();
        log('warn', `registration failed: ${message}`);
        return { ok: false, error: message, response: parsed };
      }
      const now = new Date().toISOString();
      Object.assign(this.s, {
        lastRegistrationError: null,
        lastRegistrationStatus: 'ok',
        lastRegistrationResponse: parsed,
        registeredAt: now,
        lockedAt: this.s.lockedAt ?? now,
      });
      const key = (parsed?.runyard as { dispatchKey?: unknown } | undefined)?.dispatchKey;
      if (typeof key === 'string' && !this.s.dispatchKey) {
        this.s.dispatchKey = key;
        this.verifier.pin(key);
      } else if (typeof key === 'string' && key !== this.s.dispatchKey) {
        log('error', 'the host answered another dispatch key than the one pinned: its signed dispatches will be refused');
      }
      await this.persist();
      return { ok: true, response: parsed };
    } catch (e) {
      const message = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      Object.assign(this.s, { lastRegistrationError: message, lastRegistrationStatus: 'network-error' });
      await this.persist().catch(() => undefined);
      log('warn', `registration: ${message}`);
      return { ok: false, error: message };
    }
  }

  // --- HTTP ---

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method === 'GET' && path === '/status') return json(res, 200, this.statusBody());
      if (req.method === 'GET' && path === '/') return this.page(res, 200);
      if (req.method === 'GET' && path === '/ui/reregister') {
        const outcome = await this.register('manual');
        return this.page(res, outcome.ok ? 200 : 502, outcome.ok ? 'Registration successful.' : `Registration failed: ${outcome.error}`);
      }
      if (req.method === 'POST' && path === '/ui/register') return await this.setupForm(req, res);
      if (req.method === 'POST' && path === '/internal/reset') return await this.reset(req, res);
      if (req.method === 'POST' && path === this.endpointPath()) return await this.run(req, res);
      if (req.method === 'POST' && path === '/api/packages/status') return await this.packageStatus(req, res);
      const m = /^\/api\/runs\/([^/]{1,200})\/(attach|stop)$/.exec(path);
      if (req.method === 'POST' && m) return await this.takeOver(req, res, decodeURIComponent(m[1]), m[2] as 'attach' | 'stop');
      json(res, 404, { error: 'Not found' });
    } catch (e) {
      if (res.headersSent) return void res.end();
      if (e instanceof TooLarge) return json(res, 413, { error: 'Request body is larger than 1mb' });
      if (e instanceof SyntaxError) return json(res, 400, { error: 'Request body is not valid JSON' });
      log('error', `${req.method} ${path}: ${(e as Error).message}`);
      json(res, 500, { error: 'Runner internal error' });
    }
  }

  private endpointPath(): string {
    try {
      return new URL(this.s.endpointUrl ?? '').pathname || '/api/run';
    } catch {
      return '/api/run';
    }
  }

  /** Whom a signed dispatch must be for: this runner at the endpoint it registered. */
  private dispatchTarget() {
    const { runnerId, endpointUrl } = this.s;
    return runnerId && endpointUrl ? { agentId: runnerId, endpoint: endpointUrl } : null;
  }

  private statusBody() {
    return {
      runner: this.summary(),
      config: {
        endpointUrl: this.s.endpointUrl ?? null,
        hostUrl: this.s.hostUrl ?? null,
        runnerId: this.s.runnerId ?? null,
        heartbeatInterval: this.config.heartbeatMs,
        scriptsDir: this.config.workDir,
        workdirDir: this.config.workDir,
        secretManagedByEnv: this.secretSource === 'env',
        activeRuns: this.active,
        localMaxConcurrency: this.config.localMaxConcurrency ?? null,
      },
    };
  }

  private page(res: ServerResponse, status: number, notice?: string): void {
    const s = this.summary();
    const form = this.formOpen
      ? `<form method="post" action="/ui/register"><label>Runner secret <input type="password" name="secret" minlength="${AUTOMN_MIN_SECRET_LENGTH}" required></label> <button>Register</button></form>`
      : '';
    const rows = Object.entries(s)
      .filter(([k]) => k !== 'lastRegistrationResponse')
      .map(([k, v]) => `<tr><th>${html(k)}</th><td>${html(v)}</td></tr>`)
      .join('');
    res
      .writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
      .end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Runner ${html(s.runnerId)}</title></head><body><h1>Runner ${html(s.runnerId)}</h1>${notice ? `<p>${html(notice)}</p>` : ''}${form}<table>${rows}</table></body></html>`,
      );
  }

  /** The setup form sets the first secret only: once one is set (or the runner was locked by a registration), only /internal/reset changes it. */
  private get formOpen(): boolean {
    return this.secretSource === 'state' && !this.secret && !this.s.lockedAt;
  }

  private async setupForm(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.secretSource === 'env') return this.page(res, 400, 'The runner secret is managed by environment variables.');
    if (!this.formOpen) return this.page(res, 409, 'The runner secret is set: it is changed only through /internal/reset with its token.');
    const secret = (new URLSearchParams((await readBody(req)).toString('utf8')).get('secret') ?? '').trim();
    if (secret.length < AUTOMN_MIN_SECRET_LENGTH)
      return this.page(res, 400, `Secret must be at least ${AUTOMN_MIN_SECRET_LENGTH} characters`);
    await this.setSecret(secret);
    const outcome = await this.register('setup');
    this.page(res, outcome.ok ? 200 : 502, outcome.ok ? 'Registration successful.' : `Registration failed: ${outcome.error}`);
  }

  private async setSecret(secret: string | null): Promise<void> {
    Object.assign(this.s, {
      secret,
      lockedAt: null,
      registeredAt: null,
      lastRegistrationError: null,
      lastRegistrationStatus: null,
      lastRegistrationResponse: null,
    });
    await this.persist();
  }

  /** Secret rotation by reset token (compared in constant time); the new secret is stored atomically, then registered. */
  private async reset(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.config.resetToken) return json(res, 404, { error: 'Reset endpoint disabled' });
    const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as { token?: unknown; secret?: unknown };
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    if (!token || !sameText(token, this.config.resetToken)) return json(res, 403, { error: 'Invalid reset token' });
    if (this.secretSource === 'env')
      return json(res, 400, { error: 'Runner secret is managed via environment variables and cannot be changed' });
    const secret = typeof body.secret === 'string' ? body.secret.trim() : '';
    if (secret) {
      if (secret.length < AUTOMN_MIN_SECRET_LENGTH)
        return json(res, 400, { error: `Secret must be at least ${AUTOMN_MIN_SECRET_LENGTH} characters` });
      await this.setSecret(secret);
      const outcome = await this.register('secret-rotation');
      return json(res, 200, { reset: true, secretUpdated: true, registration: this.summary(), registrationResult: outcome });
    }
    await this.setSecret(null);
    json(res, 200, { reset: true, secretCleared: true, runner: this.summary() });
  }

  /** The host's requests: 503 without a secret, else signed by its pinned key or (none pinned) with the runner's secret; 401 otherwise. */
  private async hostOnly(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<boolean> {
    const refuse = (status: number, error: string) => {
      json(res, status, { error });
      return false;
    };
    const secret = this.secret;
    if (!secret) return refuse(503, 'Runner secret not configured');
    // Once its host's key is pinned, the runner takes signed requests only: its secret alone runs nothing.
    if (this.verifier.pinned) {
      if (!this.verifier.verify(this.dispatchTarget(), 'POST', req.url ?? '/', req.headers, raw))
        return refuse(401, 'Invalid or replayed dispatch signature');
      // Its nonce is on disk before anything runs: a replay after a restart is refused too.
      await this.persist();
      return true;
    }
    const given = req.headers[AUTOMN_SECRET_HEADER];
    return typeof given === 'string' && sameText(given.trim(), secret) ? true : refuse(401, 'Invalid runner secret');
  }

  /**
   * Automn's `POST /api/packages/status {packages, scriptId?, directoryKey?, installMissing?}`: whether each
   * npm package is in the script's cache directory, installing the missing ones unless `installMissing`
   * is false. A name npm would not take is answered `error`, never handed to npm.
   */
  private async packageStatus(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (!(await this.hostOnly(req, res, raw))) return;
    const body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
    const names = [...new Set((Array.isArray(body.packages) ? body.packages : []).map(text).filter(Boolean))].slice(0, 100);
    const scriptId = text(body.scriptId).slice(0, 200);
    const installMissing = body.installMissing !== false;
    if (names.length === 0) return json(res, 200, { scriptId: scriptId || null, packages: [], installMissing, error: null });
    const valid = names.filter(isNpmPackageName);
    const { statuses, error } = await this.packages.status(text(body.directoryKey) || scriptId || 'anonymous', valid, installMissing);
    const packages = names.map(
      (name) => statuses.find((s) => s.name === name) ?? { name, status: 'error', message: 'Not an npm package name' },
    );
    json(res, 200, { scriptId: scriptId || null, packages, installMissing, error });
  }

  /** Automn's checks in Automn's order: no secret 503, bad secret 401, local cap 429, no script 400; then JSONL frames. */
  private async run(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (!(await this.hostOnly(req, res, raw))) return;
    const cap = this.config.localMaxConcurrency;
    if (this.draining || (cap && cap > 0 && this.active >= cap)) return json(res, 429, { error: 'Runner is at capacity' });
    const body = JSON.parse(raw.toString('utf8') || '{}') as AutomnRunRequest;
    if (!body || typeof body.script !== 'object' || body.script === null) return json(res, 400, { error: 'Script payload is required' });
    const runId = typeof body.runId === 'string' && body.runId.trim() ? body.runId.trim() : randomUUID();

    res.writeHead(200, {
      'content-type': 'application/jsonl; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    res.flushHeaders();
    let gone!: () => void;
    const abandoned = new Promise<void>((r) => (gone = r));
    // A Runyard host's run outlives its worker's request for a while; a stock host's ends with it.
    const followed = this.verifier.pinned && !this.followed.has(runId) ? new FollowedRun(res, gone, this.config.reattachMs) : null;
    if (followed) this.followed.set(runId, followed);
    else
      res.on('close', () => {
        if (!res.writableEnded) gone();
      });
    const frame = (f: unknown) => {
      if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(f)}\n`);
    };
    this.active++;
    const localId = this.nextId++;
    log('info', `run ${runId} started (active ${this.active})`);
    try {
      const result = await executeScript(this.jobs, localId, runId, body, {
        onLog: (line, stream) => (followed ? followed.log(line, stream) : frame({ type: 'log', line, stream })),
        onNote: (line, stream) => (followed ? followed.note(line, stream) : frame({ type: 'log', line, stream })),
        packages: this.packages,
        ...(followed ? { sync: (upTo, read) => followed.sync(upTo, read), settle: (r, upTo, read) => followed.settle(r, upTo, read) } : {}),
        abandoned,
        graceMs: this.cancelling ? 0 : this.config.killGraceMs,
        started: async (run) => {
          this.runs.set(localId, run);
          await this.persist();
        },
      });
      // A followed run's result went to its follower in settle() (a script that never started has none there).
      if (!followed?.handedOver) frame({ type: 'result', data: result });
      log('info', `run ${runId} finished with code ${result.code}`);
    } finally {
      if (followed) this.followed.delete(runId);
      this.runs.delete(localId);
      await this.persist().catch(() => undefined);
      if (!res.writableEnded) res.end();
      this.active--;
      if (this.draining && this.active === 0) this.exit();
    }
  }

  /**
   * A Runyard host's requests about a run it dispatched: `attach` (a worker taking the run over, with the
   * offsets of stdout and stderr it stored) answers the rest as JSONL frames; `stop` stops the script.
   * Signed by the pinned host key only; a run this runner does not follow (any more) is 404.
   */
  private async takeOver(req: IncomingMessage, res: ServerResponse, runId: string, what: 'attach' | 'stop'): Promise<void> {
    const raw = await readBody(req);
    if (!this.verifier.pinned || !this.verifier.verify(this.dispatchTarget(), 'POST', req.url ?? '/', req.headers, raw))
      return json(res, 401, { error: 'Invalid or replayed dispatch signature' });
    await this.persist();
    const run = this.followed.get(runId);
    if (!run) return json(res, 404, { error: 'Run not found on this runner' });
    if (what === 'stop') {
      run.stop();
      return json(res, 202, { stopping: true });
    }
    const body = JSON.parse(raw.toString('utf8') || '{}') as { stdout?: unknown; stderr?: unknown };
    const offset = (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : 0);
    res.writeHead(200, { 'content-type': 'application/jsonl; charset=utf-8', 'cache-control': 'no-cache, no-transform' });
    res.flushHeaders();
    if (!run.attach(res, { stdout: offset(body.stdout), stderr: offset(body.stderr) })) res.end();
  }

  /** SIGTERM: no new runs (429), the running ones finish, then exit; the next SIGTERM stops them. */
  private onSignal(): void {
    if (!this.draining) {
      this.draining = true;
      log('info', `draining: ${this.active} runs to finish (SIGTERM again to stop them)`);
      if (this.active === 0) this.exit();
      return;
    }
    if (this.cancelling) return;
    this.cancelling = true;
    for (const run of this.runs.values()) void this.jobs.signal(run, 'SIGTERM');
    setTimeout(() => {
      for (const run of this.runs.values()) void this.jobs.signal(run, 'SIGKILL');
    }, this.config.killGraceMs).unref();
  }

  private exit(): void {
    clearInterval(this.heartbeatTimer);
    this.server?.close();
    log('info', 'drained: exiting');
    process.exit(0);
  }
}
