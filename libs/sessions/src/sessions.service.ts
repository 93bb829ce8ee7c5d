import { Inject, Injectable, Logger } from '@nestjs/common';
import { Environment } from '@runyard/config';
import { isFinal } from '@runyard/persistence';
import {
  BadInputError,
  ConflictError,
  isUniqueViolation,
  NotFoundError,
  ProfilesService,
  RunsRepository,
  RunsService,
} from '@runyard/runs';
import { newExecutorCredential } from './executor-credentials';
import { EXECUTOR_RUNTIMES } from './executor-runtimes';
import { INLINE_MAX_BYTES, MAX_WAIT_MS, ObjectsService } from './objects.service';
import { TooLargeError } from './sdk-errors';
import { isDefaultSessionName, METHOD_NAME, OBJECT_NAME, objectKey, parseObjectKey, SESSION_NAME } from './sdk-names';
import { checkOwner, Requester } from './sdk-owners';
import { SdkSignals } from './sdk-signals';
import type { Application, Codec, RemoteErrorInfo, Session, SessionKind } from './sdk-types';
import { CallRecord, CommittedResults, FinishedCall, NewCall, SessionsRepository, SessionSummary } from './sessions.repository';

/** The one method of a function service. */
export const CALL_METHOD = '__call__';

export interface OpenSession {
  application: string;
  /** The session's name (Flame's custom session id): an open session of that name is joined, not opened again. */
  name?: string;
  kind: SessionKind;
  codec: Codec;
  /** What the client shipped (a pickled function, class or instance; a Node instance's state), or an object it put before. */
  service?: Buffer;
  serviceKey?: string;
  methods: string[];
  replicas?: number;
  module?: string;
  export?: string;
  requester: Requester;
}

export interface SubmittedCall {
  /** The client-made last part of the result's key: the future is usable before the call is stored. */
  id: string;
  method: string;
  args?: Buffer;
  argsKey?: string;
  /** Top-level arguments that are other calls' results: the executor resolves them, the call waits for them. */
  refs: string[];
}

const CODEC_OF_RUNTIME = { python: 'cloudpickle', node: 'v8' } as const;
/** A closed session's executor that has not exited on its own after this long is stopped. */
const CLOSE_GRACE_MS = 10_000;
/** An executor whose run was never recorded (its launch failed half-way) after this long is given up. */
const LAUNCH_GRACE_MS = 30_000;
/** A call that took its executor down this many times fails instead of being tried again. */
const MAX_CALL_ATTEMPTS = 3;
/** How long unregistering waits for its executors to exit on their own before stopping them. */
const EXIT_WAIT_MS = 2_000;
/** Objects a session keeps under its own key (`{app}/{session}/service`, `…/state`): never a call's id. */
const SESSION_OBJECTS = ['service', 'state'];
/** Inline bytes in one answer of finished calls; larger results are fetched one by one. */
const INLINE_PER_ANSWER = 4 * 1024 * 1024;

/** The results as one answer carries them: inline bytes up to INLINE_PER_ANSWER in all, the others read apart. */
function withinAnswer(results: FinishedCall[]): FinishedCall[] {
  let inline = 0;
  return results.map((r) => {
    inline += r.inline?.length ?? 0;
    return inline > INLINE_PER_ANSWER && r.inline ? { ...r, inline: null } : r;
  });
}

const sameMembers = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join('\0') === [...b].sort().join('\0');

const closedError: RemoteErrorInfo = { type: 'SessionClosedError', message: 'the service was closed before this call ran' };

/**
 * Sessions: a service opened on an application, served by executors that are runs of kind
 * `session` started through the application's profile; its calls in submission order; supervision
 * of the executors (a vanished one is replaced and resumes from the last committed state).
 */
@Injectable()
export class SessionsService {
  private readonly log = new Logger('Sessions');
  private readonly opened = new Map<number, Session>();

  constructor(
    private readonly repo: SessionsRepository,
    private readonly runs: RunsService,
    private readonly runsRepo: RunsRepository,
    private readonly profiles: ProfilesService,
    private readonly objects: ObjectsService,
    private readonly signals: SdkSignals,
    @Inject(Environment) private readonly env: Environment,
  ) {}

  /** Opens a session, or joins the open one of the same name (Flame's open_session): `joined` says which. */
  async open(req: OpenSession): Promise<SessionSummary & { joined: boolean }> {
    const app = await this.repo.application(req.application);
    if (!app) throw new NotFoundError(`application ${req.application} is not registered`);
    checkOwner(req.requester, app, `application ${app.name}`, 'open sessions on it');
    if (req.codec !== CODEC_OF_RUNTIME[app.runtime]) {
      throw new BadInputError(
        `application ${app.name} runs ${app.runtime}: its services are encoded with ${CODEC_OF_RUNTIME[app.runtime]}, not ${req.codec}`,
      );
    }
    const methods = req.kind === 'function' ? [CALL_METHOD] : req.methods;
    const bad = methods.find((m) => !METHOD_NAME.test(m));
    if (bad !== undefined || methods.length === 0)
      throw new BadInputError(`methods must be one or more method names${bad ? ` (not ${JSON.stringify(bad)})` : ''}`);
    if (app.runtime === 'node' && (!req.module || !req.export)) {
      throw new BadInputError('a Node service names the module (relative to the package root) and the export that define it');
    }
    if (req.module !== undefined && (req.module.startsWith('/') || req.module.split('/').includes('..') || req.module.includes('\0'))) {
      throw new BadInputError(`module ${JSON.stringify(req.module)} must be a path inside the package`);
    }
    const replicas = req.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 64)
      throw new BadInputError('replicas must be a whole number from 1 to 64');
    if (req.kind === 'instance' && replicas > 1)
      throw new BadInputError('an instance is one object with one state: it cannot have replicas');
    if ((req.service === undefined) === (req.serviceKey === undefined))
      throw new BadInputError('give the service inline or by service_key, not both');
    if (req.name !== undefined) {
      if (!SESSION_NAME.test(req.name))
        throw new BadInputError(
          `session name ${JSON.stringify(req.name)} must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
        );
      const existing = await this.repo.sessionNamed(app.name, req.name);
      if (existing) return this.join(existing, req, methods);
      if (isDefaultSessionName(app.name, req.name))
        throw new BadInputError(
          `session name ${req.name} has the form ${app.name}-NUMBER, which Runyard gives unnamed sessions: choose another`,
        );
    }
    if (req.serviceKey !== undefined) await this.checkOwnObject(app, req.serviceKey, 'service_key');
    const credentials = Array.from({ length: replicas }, newExecutorCredential);
    let session: Session;
    try {
      session = await this.insertSession(app, req, methods, replicas, credentials);
    } catch (e) {
      // Another client opened a session of that name at the same moment: join it.
      const existing = req.name !== undefined && isUniqueViolation(e) ? await this.repo.sessionNamed(app.name, req.name) : null;
      if (!existing) throw e;
      return this.join(existing, req, methods);
    }
    await this.repo.renewLease(app.name, this.env.SESSION_LEASE_MS);
    try {
      for (const credential of credentials) await this.startExecutor(session, app, credential, req.requester.name);
    } catch (e) {
      await this.lose(session.id, `its executor could not be started: ${(e as Error).message}`);
      throw e;
    }
    return { ...(await this.summary(session.id)), joined: false };
  }

  /** An open session of the name asked for, serving the same service: the caller submits to it as its opener does. */
  private async join(session: Session, req: OpenSession, methods: string[]): Promise<SessionSummary & { joined: boolean }> {
    checkOwner(req.requester, session, `session ${session.name} of application ${session.application}`, 'join it');
    if (session.status !== 'open')
      throw new ConflictError(`session ${session.name} of application ${session.application} is ${session.status}: choose another name`);
    const same =
      session.kind === req.kind &&
      session.service.codec === req.codec &&
      sameMembers(session.service.methods, methods) &&
      (session.service.module ?? null) === (req.module ?? null) &&
      (session.service.export ?? null) === (req.export ?? null);
    if (!same) {
      throw new BadInputError(
        `session ${session.name} of application ${session.application} serves another ${session.kind} (methods ${session.service.methods.join(', ')}): choose another name`,
      );
    }
    await this.repo.renewLease(session.application, this.env.SESSION_LEASE_MS);
    return { ...(await this.summary(session.id)), joined: true };
  }

  private insertSession(
    app: Application,
    req: OpenSession,
    methods: string[],
    replicas: number,
    credentials: ReturnType<typeof newExecutorCredential>[],
  ): Promise<Session> {
    return this.repo.insertSession({
      application: app.name,
      name: req.name ?? null,
      kind: req.kind,
      ordered: req.kind !== 'function' && replicas === 1,
      replicas,
      createdBy: req.requester.name,
      service: (id) => ({
        codec: req.codec,
        methods,
        serviceKey: req.serviceKey ?? objectKey(app.name, id, 'service'),
        ...(req.module ? { module: req.module, export: req.export } : {}),
      }),
      serviceObject: req.service ? { codec: req.codec, size: req.service.length, bytes: { inline: req.service } } : null,
      executors: credentials.map((c) => ({ id: c.id, tokenSha256: c.secretSha256 })),
    });
  }

  async get(id: number): Promise<Session> {
    const session = await this.repo.session(id);
    if (!session) throw new NotFoundError(`session ${id} does not exist`);
    return session;
  }

  /**
   * A session as it was opened (its application, owner, kind and service never change; its status does):
   * read once per process. Ids are never reused, so a session deleted since is found out by the next statement on it.
   */
  async facts(id: number): Promise<Session> {
    const known = this.opened.get(id);
    if (known) return known;
    const session = await this.get(id);
    if (this.opened.size >= 10_000) this.opened.clear();
    this.opened.set(id, session);
    return session;
  }

  async summary(id: number): Promise<SessionSummary> {
    const [found] = await this.repo.sessions({ id, limit: 1 });
    if (!found) throw new NotFoundError(`session ${id} does not exist`);
    return found;
  }

  list(f: { application?: string; name?: string; status?: Session['status']; limit: number }): Promise<SessionSummary[]> {
    return this.repo.sessions(f);
  }

  /** No more calls: pending ones are cancelled; executors finish what they hold and exit. */
  async close(id: number, who: Requester): Promise<Session> {
    checkOwner(who, await this.get(id), `session ${id}`, 'close it');
    await this.repo.endSession(id, 'closed', `closed by ${who.name}`, closedError);
    return this.get(id);
  }

  /** Closes every open session of an application, then makes sure its executors' runs end. */
  async closeAllOf(application: string, requestedBy: string): Promise<void> {
    for (const id of await this.repo.openSessionIdsOf(application)) {
      await this.repo.endSession(id, 'closed', `closed by ${requestedBy}`, closedError);
    }
    const deadline = Date.now() + EXIT_WAIT_MS;
    let unfinished = await this.runsRepo.statusesOf(await this.repo.executorRunsOf(application));
    while (unfinished.length > 0) {
      unfinished = (await this.runsRepo.statusesOf(unfinished.map((r) => r.id))).filter((r) => !isFinal(r.status));
      if (unfinished.length === 0 || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const run of unfinished) await this.runs.requestStop(run, false, requestedBy);
  }

  /** Appends calls in the order given; their results' keys are `{app}/{session}/{id}`. */
  async submit(sessionId: number, calls: SubmittedCall[], who: Requester): Promise<{ seq: number; key: string }[]> {
    // What never changes of a session is read once; whether it is still open, the statement storing the calls checks.
    const session = await this.facts(sessionId);
    checkOwner(who, session, `session ${sessionId}`, 'submit calls to it');
    const app = session.application;
    const known = await this.repo.existingKeys([...new Set(calls.flatMap((c) => [...c.refs, ...(c.argsKey ? [c.argsKey] : [])]))]);
    const rows: NewCall[] = [];
    for (const [i, c] of calls.entries()) {
      const at = `calls[${i}]`;
      if (!OBJECT_NAME.test(c.id)) throw new BadInputError(`${at}.id must be 1-64 letters, digits, '_' or '-' (a uuid)`);
      // A result's key is `{app}/{session}/{id}`: these ids would name the session's own objects.
      if (SESSION_OBJECTS.includes(c.id))
        throw new BadInputError(`${at}.id ${JSON.stringify(c.id)} names the session's ${c.id}: choose another id`);
      if (!session.service.methods.includes(c.method)) {
        const what =
          session.kind === 'function' ? 'a function: its one method is __call__' : `its methods: ${session.service.methods.join(', ')}`;
        throw new BadInputError(`${at}: the service of session ${sessionId} has no method ${JSON.stringify(c.method)} (${what})`);
      }
      if ((c.args === undefined) === (c.argsKey === undefined)) throw new BadInputError(`${at}: give args inline or by args_key`);
      if (c.args && c.args.length > INLINE_MAX_BYTES) {
        throw new TooLargeError(
          `${at}.args is ${c.args.length} bytes; put arguments over ${INLINE_MAX_BYTES} bytes as an object and pass args_key`,
        );
      }
      for (const key of [...c.refs, ...(c.argsKey ? [c.argsKey] : [])]) {
        const owner = parseObjectKey(key)?.app;
        const earlier = rows.some((r) => r.resultKey === key);
        if (owner !== app || (!earlier && known.get(key) !== app)) {
          throw new BadInputError(
            `${at}: ${JSON.stringify(key)} is not an object of application ${app} (submit the call producing it first)`,
          );
        }
      }
      rows.push({
        method: c.method,
        args: c.args ?? null,
        argsKey: c.argsKey ?? null,
        refs: c.refs,
        resultKey: objectKey(app, sessionId, c.id),
      });
    }
    let stored: { seq: number; key: string }[] | null;
    try {
      stored = await this.repo.submitCalls(sessionId, app, rows, who.name);
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      // The same batch sent again (its answer was lost on the way): it was stored once, answer it as stored.
      const stored = await this.repo.callsByKeys(
        sessionId,
        rows.map((r) => r.resultKey),
      );
      if (stored.length === rows.length && stored.every((c, i) => c.key === rows[i].resultKey)) return stored;
      throw new ConflictError('a call id of this batch was used before: every call needs a new id');
    }
    if (!stored) throw this.notOpen(await this.get(sessionId));
    // This process's waiting executors take the calls at once; the notification through Postgres reaches the others.
    this.signals.wake(`c ${sessionId}`);
    return stored;
  }

  /**
   * A session's calls with their arguments (Flame's `list_tasks`): only its owner (or an admin) reads them, as
   * only it may submit them — arguments are the client's data, and its client unpickles what it reads here.
   */
  async calls(sessionId: number, who: Requester, afterSeq: number, limit: number): Promise<CallRecord[]> {
    checkOwner(who, await this.get(sessionId), `session ${sessionId}`, 'read its calls');
    return this.repo.calls(sessionId, afterSeq, limit);
  }

  /**
   * The calls waited for (by sequence ranges, or by result key from the moment they are submitted) that have
   * finished, waiting up to `waitMs` for one to; with the session's status.
   */
  async finished(
    sessionId: number,
    wanted: { ranges: [number, number][]; ids: string[] },
    waitMs: number,
  ): Promise<{ status: Session['status']; detail: string | null; results: FinishedCall[] }> {
    const app = wanted.ids.length > 0 ? (await this.facts(sessionId)).application : '';
    const keys = wanted.ids.map((id) => objectKey(app, sessionId, id));
    const deadline = Date.now() + Math.min(Math.max(waitMs, 0), MAX_WAIT_MS);
    const waitedFor = keys.length + wanted.ranges.reduce((n, [lo, hi]) => n + Math.max(0, hi - lo + 1), 0);
    for (;;) {
      const armed = this.signals.arm(`r ${sessionId}`);
      const found = await this.repo.finishedCalls(sessionId, { ranges: wanted.ranges, keys }, INLINE_MAX_BYTES, 500);
      if (!found) {
        armed.cancel();
        throw new NotFoundError(`session ${sessionId} does not exist`);
      }
      if (found.results.length > 0 || Date.now() >= deadline || this.signals.closing) {
        armed.cancel();
        return { ...found, results: withinAnswer(found.results) };
      }
      const news = await this.signals.wait(armed, deadline - Date.now());
      // Results committed in this process come with their wake-up: when they hold every call waited for, they are the
      // answer without a look at the rows (a look answers more at once when only some are there).
      if (news instanceof CommittedResults) {
        const handed = news.finished.filter((f) => keys.includes(f.key) || wanted.ranges.some(([lo, hi]) => f.seq >= lo && f.seq <= hi));
        // The commit read the session's status when it began: a close this request has already seen stands (never back to open).
        const { status, detail } = found.status === 'open' ? news : found;
        if (handed.length === waitedFor) return { status, detail, results: withinAnswer(handed) };
      }
    }
  }

  /** The session cannot go on: its pending and running calls fail with the reason. */
  async lose(sessionId: number, reason: string): Promise<void> {
    const session = await this.repo.session(sessionId);
    const detail = `session ${sessionId} was lost: ${reason}`;
    if (await this.repo.endSession(sessionId, 'lost', detail, { type: 'SessionLostError', message: detail })) {
      this.log.warn(`${detail}${session ? ` (application ${session.application})` : ''}`);
    }
  }

  /**
   * The reaper's look at executors: one whose run ended is retired (what it was running goes back
   * to pending) and replaced, up to SESSION_MAX_RESTARTS in a row; one of a closed session that does
   * not exit is stopped; a run stopped on request loses its session.
   */
  async supervise(): Promise<void> {
    const live = await this.repo.liveExecutors();
    const runs = new Map((await this.runsRepo.statusesOf(live.flatMap((e) => (e.runId ? [e.runId] : [])))).map((r) => [r.id, r]));
    for (const e of live) {
      const run = e.runId === null ? undefined : runs.get(e.runId);
      const ended = e.runId === null ? Date.now() - e.createdAt.getTime() > LAUNCH_GRACE_MS : !run || isFinal(run.status);
      if (e.sessionStatus !== 'open') {
        if (ended) await this.repo.retireExecutor(e.id, MAX_CALL_ATTEMPTS, closedError, null);
        else if (run && e.closedAt && Date.now() - e.closedAt.getTime() > CLOSE_GRACE_MS) {
          await this.runs.requestStop(run, false, 'Runyard (its session is closed)');
        }
        continue;
      }
      if (!ended) continue;
      const how = run
        ? `its executor (run ${run.id}) ended ${run.status}${run.detail ? `: ${run.detail}` : ''} — see runyard logs ${run.id}`
        : 'its executor never started';
      const lostCall: RemoteErrorInfo = {
        type: 'ExecutorLostError',
        message: `the executor running this call vanished ${MAX_CALL_ATTEMPTS} times; ${how}`,
      };
      await this.repo.retireExecutor(e.id, MAX_CALL_ATTEMPTS, lostCall, how);
      if (run?.status === 'TERMINATED') await this.lose(e.sessionId, how);
    }
    for (const session of await this.repo.sessionsShortOfExecutors()) {
      if (session.restarts >= this.env.SESSION_MAX_RESTARTS) {
        await this.lose(session.id, `${session.detail ?? 'its executor ended'} (${session.restarts} restarts in a row)`);
        continue;
      }
      const app = await this.repo.application(session.application);
      if (!app) continue;
      await this.repo.countRestart(session.id);
      await this.launch(session, app, session.ordered, 'Runyard (restarting a session executor)').catch((e: Error) =>
        this.log.warn(`session ${session.id}: starting an executor failed: ${e.message}`),
      );
    }
  }

  /** One more executor for a session short of one (its row first, then its run). */
  private async launch(session: Session, app: Application, current: boolean, requestedBy: string): Promise<number> {
    const credential = newExecutorCredential();
    await this.repo.insertExecutor(credential.id, session.id, credential.secretSha256, current);
    return this.startExecutor(session, app, credential, requestedBy);
  }

  /** An executor's run: a run of kind `session` through the application's profile, with the executor's own credential. */
  private async startExecutor(
    session: Session,
    app: Application,
    { id, token }: { id: string; token: string },
    requestedBy: string,
  ): Promise<number> {
    try {
      const runtime = EXECUTOR_RUNTIMES[app.runtime];
      const start = await runtime.start();
      const run = await this.runs.submit({
        kind: 'session',
        expid: null,
        command: { args: start.args },
        profile: await this.runs.profile(app.profileName, undefined),
        requestedBy,
        run: {
          program: runtime.program(await this.profiles.get(app.profileName)),
          env: {
            RUNYARD_URL: this.executorUrl(),
            RUNYARD_SESSION: String(session.id),
            ...(app.workdir ? { RUNYARD_WORKDIR: app.workdir } : {}),
            PYTHONUNBUFFERED: '1',
          },
          // A file, not the environment: an SSH host would show an `env NAME=value` argument to every user.
          files: [...start.files, { name: 'executor-token', content: Buffer.from(token).toString('base64') }],
        },
      });
      await this.repo.setExecutorRun(id, run.id);
      return run.id;
    } catch (e) {
      await this.repo.retireExecutor(id, MAX_CALL_ATTEMPTS, closedError, null);
      throw e;
    }
  }

  /** The API as executors reach it. */
  private executorUrl(): string {
    if (this.env.RUNYARD_PUBLIC_URL) return this.env.RUNYARD_PUBLIC_URL.replace(/\/+$/, '');
    const host = ['0.0.0.0', '::', ''].includes(this.env.HOST) ? '127.0.0.1' : this.env.HOST;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.env.PORT}`;
  }

  private async checkOwnObject(app: Application, key: string, field: string): Promise<void> {
    const object = parseObjectKey(key)?.app === app.name ? await this.repo.object(key) : null;
    if (!object || object.state !== 'ready')
      throw new BadInputError(`${field} ${JSON.stringify(key)} is not a ready object of application ${app.name}`);
  }

  private notOpen(session: Session): ConflictError {
    return new ConflictError(`session ${session.id} is ${session.status}${session.detail ? `: ${session.detail}` : ''}`, {
      session_status: session.status,
    });
  }
}
