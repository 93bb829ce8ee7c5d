import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { BadInputError, NotFoundError } from '@runyard/runs';
import { ObjectStorage } from './object-storage';
import { ObjectFailedError } from './sdk-errors';
import { isAppName, objectKey, parseObjectKey, SHARED } from './sdk-names';
import { checkOwner, Requester } from './sdk-owners';
import { SdkSignals } from './sdk-signals';
import type { Codec, ObjectBytes, StoredObject } from './sdk-types';
import { SessionsRepository } from './sessions.repository';

/** Objects kept in their row up to this size; larger ones are files of the object storage. */
export const INLINE_MAX_BYTES = 256 * 1024;
/** The longest a request waits for an object or a call before answering "not yet". */
export const MAX_WAIT_MS = 30_000;

/** A ready object's bytes, as the API sends them. */
export interface ObjectContent {
  object: StoredObject;
  size: number;
  body: Buffer | Readable;
}

/** Reads, waits for, puts and deletes objects under Flame's keys `{app}/{session}/{uuid}`. */
@Injectable()
export class ObjectsService {
  constructor(
    private readonly repo: SessionsRepository,
    private readonly storage: ObjectStorage,
    private readonly signals: SdkSignals,
  ) {}

  /** A key as clients write it, checked; 400 for anything Runyard does not make. */
  checkedKey(app: string, session: string, name: string): string {
    const key = `${app}/${session}/${name}`;
    if (!parseObjectKey(key)) throw new BadInputError(`${JSON.stringify(key)} is not an object key ({app}/{session}/{name})`);
    return key;
  }

  /**
   * The object once it is ready, waiting at most `waitMs` while its call has not finished: null when
   * it still has not. A failed call's object answers its remote error (424).
   */
  async read(key: string, waitMs: number, application?: string): Promise<ObjectContent | null> {
    const parsed = parseObjectKey(key);
    if (!parsed) throw new BadInputError(`${JSON.stringify(key)} is not an object key`);
    if (application !== undefined && parsed.app !== application) throw new NotFoundError(`object ${key} does not exist`);
    const deadline = Date.now() + Math.min(Math.max(waitMs, 0), MAX_WAIT_MS);
    for (;;) {
      const armed = this.signals.arm(`r ${parsed.session}`);
      const object = await this.repo.object(key);
      if (!object) {
        armed.cancel();
        throw new NotFoundError(`object ${key} does not exist (its application may have been cleaned up)`);
      }
      if (object.state === 'failed') {
        armed.cancel();
        throw new ObjectFailedError(key, object.error ?? { type: 'Error', message: 'the call failed' });
      }
      if (object.state === 'ready') {
        armed.cancel();
        return this.content(object);
      }
      if (Date.now() >= deadline || this.signals.closing) {
        armed.cancel();
        return null;
      }
      await this.signals.wait(armed, deadline - Date.now());
    }
  }

  async content(object: StoredObject): Promise<ObjectContent> {
    if (object.inline) return { object, size: object.inline.length, body: object.inline };
    if (!object.blob) throw new NotFoundError(`object ${object.key} has no content`);
    return { object, size: object.size ?? 0, body: await this.storage.open(object.blob) };
  }

  /** A client's own object (Flame's put_object, large arguments): under `{app}/shared` or one of the app's sessions. */
  async put(
    app: string,
    session: string,
    codec: Codec,
    body: NodeJS.ReadableStream,
    who: Requester,
  ): Promise<{ key: string; size: number }> {
    if (!isAppName(app)) throw new BadInputError(`${JSON.stringify(app)} is not an application name`);
    const application = await this.repo.application(app);
    if (!application) throw new NotFoundError(`application ${app} is not registered`);
    checkOwner(who, application, `application ${app}`, 'put objects in it');
    let sessionId: number | null = null;
    if (session !== SHARED) {
      sessionId = /^[1-9][0-9]{0,17}$/.test(session) ? Number(session) : NaN;
      const s = Number.isNaN(sessionId) ? null : await this.repo.session(sessionId);
      if (!s || s.application !== app) throw new NotFoundError(`application ${app} has no session ${session}`);
      checkOwner(who, s, `session ${session}`, 'put objects in it');
    }
    const key = objectKey(app, sessionId ?? SHARED, randomUUID());
    const bytes = await this.store(key, body);
    await this.repo.putObject(key, app, sessionId, who.name, { codec, ...bytes });
    return { key, size: bytes.size };
  }

  /** Small content stays in the row; the rest becomes a file named after its key. */
  async store(key: string, body: NodeJS.ReadableStream | Buffer, fileSuffix = ''): Promise<{ size: number; bytes: ObjectBytes }> {
    if (Buffer.isBuffer(body) && body.length <= INLINE_MAX_BYTES) return { size: body.length, bytes: { inline: body } };
    const blob = `${key}${fileSuffix}`;
    const size = await this.storage.write(blob, Buffer.isBuffer(body) ? Readable.from([body]) : body);
    return { size, bytes: { blob } };
  }

  /** Deletes every object of an application, rows and files; 404 when there was nothing of an application nobody registered. */
  async deleteAll(app: string, who: Requester): Promise<number> {
    if (!isAppName(app)) throw new BadInputError(`${JSON.stringify(app)} is not an application name`);
    const application = await this.repo.application(app);
    if (application) checkOwner(who, application, `application ${app}`, 'delete its objects');
    else for (const createdBy of await this.repo.objectOwnersOf(app)) checkOwner(who, { createdBy }, `objects of ${app}`, 'delete them');
    const n = await this.repo.deleteObjectsOf(app);
    await this.storage.removeApplication(app);
    if (n === 0 && !application) throw new NotFoundError(`application ${app} has no objects`);
    return n;
  }
}
