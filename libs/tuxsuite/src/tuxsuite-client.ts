import { TUX_UID_PATTERN, TuxBuildStatus, TuxTestStatus } from './callback-payload';
import { downloadText, DownloadOptions } from './download-text';
import { TuxSuiteRequestError } from './tuxsuite-errors';

export interface TuxSuiteClientOptions {
  baseUrl: string;
  token: string;
  group: string;
  project: string;
  /** Per attempt. Default 30 s. */
  timeoutMs?: number;
  /** Extra attempts after the first for network errors, 5xx and 429. Default 3. */
  retries?: number;
  /** First backoff delay, doubled per retry. Default 200 ms. */
  retryBaseMs?: number;
  fetchImpl?: typeof fetch;
}

export interface SubmitBuildRequest {
  /** Must be stable across retries of the same logical submission (e.g. derived from the job id). */
  clientToken: string;
  gitRepo: string;
  gitRef: string;
  targetArch: string;
  toolchain: string;
  kconfig: string[];
  callbackUrl?: string;
  callbackHeaders?: Record<string, string>;
}

export interface SubmitTestRequest {
  /** Must be stable across retries of the same logical submission (e.g. derived from the job id). */
  clientToken: string;
  device: string;
  kernel: string;
  modules?: string;
  /** Empty for a boot test: TuxSuite always boots first. */
  tests: string[];
  callbackUrl?: string;
  callbackHeaders?: Record<string, string>;
  /** `BUILD#<uid>`: start once that build has finished. */
  waitingFor?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_BASE_MS = 200;

/**
 * TuxSuite's REST API as its Python client calls it. Retries reuse the same request body, so the same
 * `client_token` reaches TuxSuite every time and a retry after a lost answer never creates a second run.
 */
export class TuxSuiteClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;

  constructor(private readonly opts: TuxSuiteClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetchImpl ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retries = opts.retries ?? DEFAULT_RETRIES;
    this.retryBaseMs = opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  }

  async submitBuild(req: SubmitBuildRequest): Promise<string> {
    const body = {
      builds: [
        {
          client_token: req.clientToken,
          git_repo: req.gitRepo,
          git_ref: req.gitRef,
          target_arch: req.targetArch,
          toolchain: req.toolchain,
          kconfig: req.kconfig,
          environment: {},
          targets: [],
          make_variables: {},
          callback: req.callbackUrl,
          callback_headers: req.callbackHeaders,
        },
      ],
      patches: {},
    };
    const answer = await this.request('POST', 'builds', body);
    const uid = Array.isArray(answer) && isRecord(answer[0]) ? answer[0].uid : undefined;
    return this.checkUid(uid, 'build submission');
  }

  async submitTest(req: SubmitTestRequest): Promise<string> {
    const body = {
      device: req.device,
      kernel: req.kernel,
      modules: req.modules,
      tests: req.tests,
      parameters: {},
      callback: req.callbackUrl,
      callback_headers: req.callbackHeaders,
      waiting_for: req.waitingFor,
      client_token: req.clientToken,
    };
    const answer = await this.request('POST', 'tests', body);
    return this.checkUid(isRecord(answer) ? answer.uid : undefined, 'test submission');
  }

  async getBuild(uid: string): Promise<TuxBuildStatus> {
    return (await this.request('GET', `builds/${this.pathUid(uid)}`)) as TuxBuildStatus;
  }

  async getTest(uid: string): Promise<TuxTestStatus> {
    return (await this.request('GET', `tests/${this.pathUid(uid)}`)) as TuxTestStatus;
  }

  /** The project's callback public key, an `ecdsa-sha2-nistp256 …` line. TuxSuite's docs say to cache it. */
  async getKeys(): Promise<string> {
    const answer = await this.request('GET', 'keys');
    const pub = isRecord(answer) && isRecord(answer.ssh) ? answer.ssh.pub : undefined;
    if (typeof pub !== 'string' || pub === '') throw new TuxSuiteRequestError('TuxSuite keys answer has no ssh.pub', 200, false);
    return pub;
  }

  /** Artifacts are public storage URLs: no token is sent with them. */
  downloadText(url: string, opts: Omit<DownloadOptions, 'fetchImpl'>): Promise<string> {
    return downloadText(url, { ...opts, fetchImpl: this.fetchImpl });
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const url = `${this.baseUrl}/v1/groups/${encodeURIComponent(this.opts.group)}/projects/${encodeURIComponent(this.opts.project)}/${path}`;
    const payload = body === undefined ? undefined : JSON.stringify(body); // built once: identical on every retry
    let last: TuxSuiteRequestError | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await sleep(this.retryBaseMs * 2 ** (attempt - 1));
      let res: Response;
      try {
        res = await this.fetchImpl(url, {
          method,
          headers: { Authorization: this.opts.token, 'Content-Type': 'application/json', Accept: 'application/json' },
          body: payload,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        last = new TuxSuiteRequestError(`TuxSuite ${method} ${path}: ${e instanceof Error ? e.message : String(e)}`, null, true, {
          cause: e,
        });
        continue;
      }
      const text = await res.text().catch(() => '');
      if (res.ok) return parseJson(text, method, path, res.status);
      const message = `TuxSuite ${method} ${path} answered ${res.status}: ${errorText(text)}`;
      if (res.status >= 500 || res.status === 429) {
        last = new TuxSuiteRequestError(message, res.status, true);
        continue;
      }
      throw new TuxSuiteRequestError(message, res.status, false);
    }
    throw last ?? new TuxSuiteRequestError(`TuxSuite ${method} ${path} failed`, null, true);
  }

  private checkUid(uid: unknown, what: string): string {
    if (typeof uid !== 'string' || !TUX_UID_PATTERN.test(uid))
      throw new TuxSuiteRequestError(`TuxSuite ${what}: the answer carries no valid uid`, 200, false);
    return uid;
  }

  private pathUid(uid: string): string {
    if (!TUX_UID_PATTERN.test(uid)) throw new TuxSuiteRequestError(`not a TuxSuite uid: ${JSON.stringify(uid)}`, null, false);
    return uid;
  }
}

function parseJson(text: string, method: string, path: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new TuxSuiteRequestError(`TuxSuite ${method} ${path} answered ${status} with a body that is not JSON`, status, false);
  }
}

/** TuxSuite errors carry `error` or `status_message`; fall back to a bounded slice of the body. */
function errorText(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body)) {
      const msg = body.error ?? body.status_message;
      if (typeof msg === 'string') return msg;
      if (msg !== undefined) return JSON.stringify(msg);
    }
  } catch {
    // not JSON: use the text itself
  }
  return text.slice(0, 500) || '(empty body)';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
