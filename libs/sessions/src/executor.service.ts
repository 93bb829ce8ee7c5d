import { Injectable } from '@nestjs/common';
import type { ReadStream } from 'node:fs';
import { BadInputError, ConflictError, ForbiddenError, NotFoundError } from '@runyard/runs';
import { INLINE_MAX_BYTES, MAX_WAIT_MS, ObjectContent, ObjectsService } from './objects.service';
import { ObjectStorage } from './object-storage';
import { PackagesService } from './packages.service';
import { ExecutorGoneError, TooLargeError } from './sdk-errors';
import { SdkSignals } from './sdk-signals';
import type { ClaimedCall, Codec, ExecutorIdentity, ObjectBytes, RemoteErrorInfo } from './sdk-types';
import { CallResult, FencedError, RefusedResultsError, SessionsRepository, StateSnapshot, stateKey } from './sessions.repository';
import { SessionsService, SubmittedCall } from './sessions.service';

/** One call's outcome as an executor reports it: bytes inline, or uploaded before (`staged`). */
export interface ReportedResult {
  call: number;
  ok: boolean;
  codec?: Codec;
  data?: Buffer;
  staged?: boolean;
  error?: RemoteErrorInfo;
}

export interface ReportedState {
  version: number;
  codec: Codec;
  data?: Buffer;
  staged?: boolean;
}

export interface Exchange {
  results: ReportedResult[];
  state?: ReportedState;
  /** How many calls the executor takes next (0: it only commits). */
  max: number;
  waitMs: number;
}

/** What an executor needs to build its service. */
export interface ExecutorBrief {
  session: number;
  /** The session's name: code the executor serves may open a service of it again (Flame's recursive services). */
  name: string;
  application: string;
  runtime: string;
  kind: string;
  ordered: boolean;
  codec: Codec;
  methods: string[];
  module: string | null;
  export: string | null;
  serviceKey: string;
  /** The last committed state of an ordered session, or null before its first commit. */
  state: { version: number; key: string } | null;
  package: { sha256: string; size: number };
  /** Where the application's working directory goes on the runner's host; null: the executor's default. */
  workdir: string | null;
}

/**
 * The executors' side of the protocol (over HTTP, so an executor may run on any host its runner
 * reaches): what to serve, the package, objects, and the exchange that commits results and hands
 * out the next calls.
 */
@Injectable()
export class ExecutorService {
  constructor(
    private readonly repo: SessionsRepository,
    private readonly sessions: SessionsService,
    private readonly packages: PackagesService,
    private readonly objects: ObjectsService,
    private readonly storage: ObjectStorage,
    private readonly signals: SdkSignals,
  ) {}

  async brief(ex: ExecutorIdentity): Promise<ExecutorBrief> {
    const session = await this.sessions.get(ex.sessionId);
    await this.repo.markReady(ex.id);
    const app = await this.repo.application(session.application);
    if (!app) throw new ExecutorGoneError(`application ${session.application} is gone`);
    const size = (await this.repo.packageSize(app.packageSha)) ?? 0;
    return {
      session: session.id,
      name: session.name,
      application: app.name,
      runtime: app.runtime,
      kind: session.kind,
      ordered: session.ordered,
      codec: session.service.codec,
      methods: session.service.methods,
      module: session.service.module ?? null,
      export: session.service.export ?? null,
      serviceKey: session.service.serviceKey,
      state: session.ordered && session.stateVersion > 0 ? { version: session.stateVersion, key: stateKey(ex) } : null,
      package: { sha256: app.packageSha, size },
      workdir: app.workdir,
    };
  }

  async package(ex: ExecutorIdentity): Promise<ReadStream> {
    const app = await this.repo.application(ex.application);
    if (!app) throw new ExecutorGoneError(`application ${ex.application} is gone`);
    return this.packages.open(app.packageSha, app.name);
  }

  /** An object of the executor's own application (an argument, the service, the state). */
  object(ex: ExecutorIdentity, key: string, waitMs: number): Promise<ObjectContent | null> {
    return this.objects.read(key, waitMs, ex.application);
  }

  /**
   * Calls the code being served submits to its own session (Flame's recursive services), as the session's owner
   * would: never to another session. An ordered session's call would wait for itself (one executor, one call at a
   * time), so it may not.
   */
  async submit(ex: ExecutorIdentity, calls: SubmittedCall[]): Promise<{ seq: number; key: string }[]> {
    const session = await this.sessions.facts(ex.sessionId);
    if (session.ordered) {
      throw new ConflictError(
        `session ${session.name} serves one call at a time in order: a call of it cannot wait for another of it; serve the class with autoscale=True (replicas) for recursive calls`,
      );
    }
    return this.sessions.submit(session.id, calls, { name: session.createdBy, admin: false });
  }

  /** A result or state too large for the exchange's body, written before the exchange commits it. */
  async upload(
    ex: ExecutorIdentity,
    what: { call: number } | { stateVersion: number },
    body: NodeJS.ReadableStream,
  ): Promise<{ size: number }> {
    const blob = await this.stagedBlob(ex, what);
    return { size: await this.storage.write(blob, body) };
  }

  /** Commits what the executor reports and hands it the next calls (in the same transaction), waiting up to `waitMs` for some. */
  async exchange(ex: ExecutorIdentity, x: Exchange): Promise<{ calls: ClaimedCall[]; open: boolean }> {
    const take = Math.min(Math.max(x.max, 0), 256);
    const deadline = Date.now() + Math.min(Math.max(x.waitMs, 0), MAX_WAIT_MS);
    let armed = take > 0 ? this.signals.arm(`c ${ex.sessionId}`) : undefined;
    let claimed: { calls: ClaimedCall[]; open: boolean };
    try {
      if (x.results.length > 0 || x.state) {
        const results = await Promise.all(x.results.map((r) => this.result(ex, r)));
        const state = x.state ? await this.state(ex, x.state) : null;
        // The common case commits in one statement and wakes the clients before the next calls are claimed.
        const plain = await this.repo.commitPlain(ex, results, state);
        if (plain !== null) {
          this.signals.wake(`r ${ex.sessionId}`, plain.committed);
          // With no call pending at the commit, the executor waits at once: a call submitted since wakes it (armed above).
          const open = plain.committed.status === 'open';
          claimed = open && take > 0 && plain.pending ? await this.repo.claimCalls(ex, take) : { calls: [], open };
        } else {
          claimed = await this.repo.commitResults(ex, results, state, take);
          if (results.length > 0) this.signals.wake(`r ${ex.sessionId}`);
        }
      } else {
        claimed = take > 0 ? await this.repo.claimCalls(ex, take) : { calls: [], open: true };
      }
      while (take > 0 && claimed.calls.length === 0 && claimed.open && Date.now() < deadline && !this.signals.closing) {
        await this.signals.wait(armed!, deadline - Date.now());
        armed = this.signals.arm(`c ${ex.sessionId}`);
        claimed = await this.repo.claimCalls(ex, take);
      }
      return claimed;
    } catch (e) {
      if (e instanceof FencedError) throw new ExecutorGoneError(`this executor was replaced: ${e.message}`);
      if (e instanceof RefusedResultsError) throw new ForbiddenError(e.message);
      throw e;
    } finally {
      armed?.cancel();
    }
  }

  /** The executor cannot serve its session (a missing interpreter module, a service it cannot load): the session is lost with its words. */
  async fatal(ex: ExecutorIdentity, message: string): Promise<void> {
    await this.sessions.lose(ex.sessionId, `its executor could not serve it: ${message}`);
  }

  private async result(ex: ExecutorIdentity, r: ReportedResult): Promise<CallResult> {
    if (!r.ok) return { callId: r.call, ok: false, error: r.error ?? { type: 'Error', message: 'the call failed' } };
    if (!r.codec) throw new BadInputError(`result of call ${r.call} has no codec`);
    const bytes = await this.bytes(ex, { call: r.call }, r.data, r.staged);
    return { callId: r.call, ok: true, codec: r.codec, ...bytes };
  }

  private async state(ex: ExecutorIdentity, s: ReportedState): Promise<StateSnapshot> {
    if (!ex.ordered) throw new BadInputError('only an ordered session keeps a state');
    return { version: s.version, codec: s.codec, ...(await this.bytes(ex, { stateVersion: s.version }, s.data, s.staged)) };
  }

  private async bytes(
    ex: ExecutorIdentity,
    what: { call: number } | { stateVersion: number },
    data: Buffer | undefined,
    staged: boolean | undefined,
  ): Promise<{ size: number; bytes: ObjectBytes }> {
    if (staged) {
      const blob = await this.stagedBlob(ex, what);
      const size = await this.storage.size(blob).catch(() => {
        throw new BadInputError(`nothing was uploaded for ${'call' in what ? `call ${what.call}` : `state ${what.stateVersion}`}`);
      });
      return { size, bytes: { blob } };
    }
    if (!data) throw new BadInputError('a result needs its data or an upload');
    if (data.length > INLINE_MAX_BYTES)
      throw new TooLargeError(`inline data is at most ${INLINE_MAX_BYTES} bytes: upload larger ones first`);
    return { size: data.length, bytes: { inline: data } };
  }

  /** Where an executor's upload goes: named after the object and the executor, so a replaced executor's upload never overwrites another's. */
  private async stagedBlob(ex: ExecutorIdentity, what: { call: number } | { stateVersion: number }): Promise<string> {
    const mark = ex.id.slice(0, 8);
    if ('stateVersion' in what) {
      if (!ex.ordered || !Number.isInteger(what.stateVersion) || what.stateVersion < 1)
        throw new BadInputError('not a state this executor can keep');
      return `${stateKey(ex)}.v${what.stateVersion}.${mark}`;
    }
    const key = (await this.repo.runningCallKeys(ex.id, [what.call])).get(what.call);
    if (!key) throw new NotFoundError(`call ${what.call} is not running on this executor`);
    return `${key}.${mark}`;
  }
}
