import { Inject, Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { KernelBuild, KernelTest, RunnerCallback } from '@runyard/persistence';
import { BadInputError, NotFoundError, UnauthorizedError } from '@runyard/runs';
import { CallbackFormatError, CallbackKeyCache, parseCallback, repairEscapes, TuxBuildStatus, TuxCallback } from '@runyard/tuxsuite';
import { KernelQueue } from './kernel-queue';

export type CallbackKind = 'build' | 'test' | 'boot';
export const TUXSUITE_KEYS = Symbol('TUXSUITE_KEYS');

/**
 * TuxSuite's callbacks: the signature is checked on the raw bytes before anything is parsed; only a
 * verified callback changes a build or test, once (a repeated one changes nothing); every callback,
 * refused or not, is kept in the audit table.
 */
@Injectable()
export class TuxSuiteCallbacksService {
  private readonly audit: Repository<RunnerCallback>;

  constructor(
    private readonly db: DataSource,
    private readonly queue: KernelQueue,
    @Inject(TUXSUITE_KEYS) private readonly keys: CallbackKeyCache,
  ) {
    this.audit = db.getRepository(RunnerCallback);
  }

  async receive(kind: CallbackKind, raw: Buffer, signature: string | undefined): Promise<'stored' | 'duplicate'> {
    const record = (outcome: string, uid: string | null = null) =>
      this.audit.insert({ runner: 'tuxsuite', kind, uid, outcome, rawBody: raw, signature: signature ?? null });

    const verified = await this.keys.verify(raw, signature);
    if (!verified.ok) {
      await record(verified.reason);
      throw new UnauthorizedError(
        verified.reason === 'missing-signature' ? 'x-tux-payload-signature header missing' : 'callback signature does not verify',
      );
    }

    let callback: TuxCallback;
    try {
      callback = parseCallback(repairEscapes(verified.payloadText));
    } catch (e) {
      await record('malformed');
      throw new BadInputError(e instanceof CallbackFormatError ? e.message : 'callback is not valid JSON');
    }
    if ((kind === 'build') !== (callback.kind === 'build')) {
      await record('malformed', callback.status.uid);
      throw new BadInputError(`a ${callback.kind} callback sent to the ${kind} callback endpoint`);
    }

    const outcome =
      callback.kind === 'build' ? await this.finishBuild(callback.status) : await this.finishTest(callback.status.uid, callback);
    await record(outcome, callback.status.uid);
    if (outcome === 'unknown-uid') throw new NotFoundError(`no ${kind} with TuxSuite uid ${callback.status.uid}`);
    return outcome;
  }

  private async finishBuild(status: TuxBuildStatus): Promise<'stored' | 'duplicate' | 'unknown-uid'> {
    const base = typeof status.download_url === 'string' ? status.download_url : null;
    const set = {
      state: 'FINISHED' as const,
      result: typeof status.result === 'string' ? status.result : null,
      callback: { kind: 'build', status } as Record<string, unknown>,
      kernelImageUrl: base && status.kernel_image_name ? `${base}${status.kernel_image_name}` : null,
      modulesUrl: base && status.modules ? `${base}${typeof status.modules === 'string' ? status.modules : 'modules.tar.xz'}` : null,
      kernelVersion: typeof status.kernel_version === 'string' ? status.kernel_version : null,
      finishedAt: new Date(),
    };
    const outcome = await this.finishOnce(this.db.getRepository(KernelBuild), status.uid, set);
    if (outcome === 'stored') await this.queue.add({ type: 'kcidb-sync' });
    return outcome;
  }

  private async finishTest(uid: string, callback: TuxCallback): Promise<'stored' | 'duplicate' | 'unknown-uid'> {
    const tests = this.db.getRepository(KernelTest);
    const set = {
      state: 'FINISHED' as const,
      result: typeof callback.status.result === 'string' ? callback.status.result : null,
      callback: callback as unknown as Record<string, unknown>,
      finishedAt: new Date(),
    };
    const outcome = await this.finishOnce(tests, uid, set);
    if (outcome === 'stored') {
      const test = await tests.findOneByOrFail({ uid });
      await this.queue.add({ type: 'results', id: test.id });
    }
    return outcome;
  }

  /** One conditional update: of two identical callbacks racing, exactly one stores. */
  private async finishOnce<T extends KernelBuild | KernelTest>(
    repo: Repository<T>,
    uid: string,
    set: Partial<T>,
  ): Promise<'stored' | 'duplicate' | 'unknown-uid'> {
    const res = await repo
      .createQueryBuilder()
      .update()
      .set(set as never)
      .where(`uid = :uid AND state <> 'FINISHED'`, { uid })
      .execute();
    if ((res.affected ?? 0) > 0) return 'stored';
    return (await repo.exists({ where: { uid } as never })) ? 'duplicate' : 'unknown-uid';
  }
}
