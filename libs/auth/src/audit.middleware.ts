import { Injectable, NestMiddleware, OnApplicationShutdown } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DataSource, Repository } from 'typeorm';
import { AuditEvent } from '@runyard/persistence';
import { maskTokens } from './api-token';
import { actorOf } from './auth.guard';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Events are written in batches: one INSERT per burst instead of one per request on the hot path. */
const FLUSH_MS = 200;
const FLUSH_AT = 200;

/** Records every write request once answered: who (the token's name), what, and how it ended. */
@Injectable()
export class AuditMiddleware implements NestMiddleware, OnApplicationShutdown {
  private readonly events: Repository<AuditEvent>;
  private pending: Partial<AuditEvent>[] = [];
  private timer?: NodeJS.Timeout;

  constructor(db: DataSource) {
    this.events = db.getRepository(AuditEvent);
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (!READS.has(req.method)) {
      res.once('finish', () =>
        this.record({
          at: new Date(),
          actor: actorOf(req)?.name ?? 'anonymous',
          method: req.method,
          path: maskTokens(req.originalUrl).slice(0, 1024),
          status: res.statusCode,
          remoteAddress: req.ip ?? null,
        }),
      );
    }
    next();
  }

  private record(event: Partial<AuditEvent>): void {
    this.pending.push(event);
    if (this.pending.length >= FLUSH_AT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) await this.events.insert(batch).catch(() => undefined);
  }

  onApplicationShutdown(): Promise<void> {
    return this.flush();
  }
}
