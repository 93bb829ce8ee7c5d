import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, IsNull, Repository } from 'typeorm';
import { Environment } from '@runyard/config';
import { ApiToken, Role } from '@runyard/persistence';
import { ConflictError, isUniqueViolation, NotFoundError } from '@runyard/runs';
import { newToken, parseToken, sameSecret, sha256 } from './api-token';

/** The bootstrap token may be any string the operator chose: it is found by this fixed id. */
const BOOTSTRAP_ID = 'bootstrap';
/** A verified token is trusted this long without asking Postgres again: a revocation reaches other API instances within it. */
const VERIFIED_TTL_MS = 5_000;
const LAST_USED_EVERY_MS = 60_000;

@Injectable()
export class TokensService implements OnApplicationBootstrap {
  private readonly log = new Logger('Auth');
  private readonly tokens: Repository<ApiToken>;
  /** By SHA-256 of the whole token: the token itself is not kept in memory either. */
  private readonly verified = new Map<string, { record: ApiToken; at: number }>();

  constructor(
    db: DataSource,
    private readonly env: Environment,
  ) {
    this.tokens = db.getRepository(ApiToken);
  }

  /** RUNYARD_BOOTSTRAP_TOKEN becomes an admin token; with no token at all, the first start makes one and prints it once. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.env.AUTH_MODE === 'none') return;
    if (this.env.RUNYARD_BOOTSTRAP_TOKEN) {
      await this.tokens.upsert(
        {
          id: BOOTSTRAP_ID,
          name: 'bootstrap',
          role: 'admin',
          secretSha256: sha256(this.env.RUNYARD_BOOTSTRAP_TOKEN),
          createdBy: 'RUNYARD_BOOTSTRAP_TOKEN',
          revokedAt: null,
        },
        ['id'],
      );
      return;
    }
    if ((await this.tokens.count()) > 0) return;
    const created = await this.create('admin', 'admin', 'first start').catch((e) => (isUniqueViolation(e) ? null : Promise.reject(e)));
    if (created) {
      // Shown once, on purpose on stdout: it is not stored anywhere in clear.
      console.log(`\nRunyard created the first admin token (it will not be shown again):\n\n  ${created.token}\n`);
    }
  }

  async create(name: string, role: Role, createdBy: string): Promise<{ token: string; record: ApiToken }> {
    const { id, secret, token } = newToken();
    try {
      const record = await this.tokens.save(this.tokens.create({ id, name, role, secretSha256: sha256(secret), createdBy }));
      return { token, record };
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError(`a token named ${JSON.stringify(name)} exists already`);
      throw e;
    }
  }

  /** The token's record if it is valid and not revoked; the secret is compared in constant time. */
  async authenticate(token: string): Promise<ApiToken | null> {
    const key = sha256(token);
    const hit = this.verified.get(key);
    if (hit && Date.now() - hit.at < VERIFIED_TTL_MS) return hit.record;
    const record = await this.lookup(token);
    if (record) {
      if (this.verified.size > 10_000) this.verified.clear();
      this.verified.set(key, { record, at: Date.now() });
    } else {
      this.verified.delete(key);
    }
    return record;
  }

  private async lookup(token: string): Promise<ApiToken | null> {
    const parsed = parseToken(token);
    const record =
      (parsed && (await this.check(parsed.id, parsed.secret))) ??
      (this.env.RUNYARD_BOOTSTRAP_TOKEN ? await this.check(BOOTSTRAP_ID, token) : null);
    if (!record) return null;
    if (!record.lastUsedAt || Date.now() - record.lastUsedAt.getTime() > LAST_USED_EVERY_MS) {
      void this.tokens.update(record.id, { lastUsedAt: new Date() }).catch(() => undefined);
    }
    return record;
  }

  private async check(id: string, secret: string): Promise<ApiToken | null> {
    const record = await this.tokens.findOneBy({ id, revokedAt: IsNull() });
    return record && sameSecret(secret, record.secretSha256) ? record : null;
  }

  /** A token's record, revoked or not: for what acts later on its behalf (a schedule's fires). */
  byId(id: string): Promise<ApiToken | null> {
    return this.tokens.findOneBy({ id });
  }

  list(): Promise<ApiToken[]> {
    return this.tokens.find({ order: { createdAt: 'ASC' } });
  }

  async revoke(id: string): Promise<void> {
    const res = await this.tokens.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    if (!res.affected) throw new NotFoundError(`no active token ${id}`);
    for (const [key, hit] of this.verified) if (hit.record.id === id) this.verified.delete(key);
  }
}
