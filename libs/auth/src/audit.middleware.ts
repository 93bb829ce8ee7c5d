import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DataSource, Repository } from 'typeorm';
import { AuditEvent } from '@runyard/persistence';
import { actorOf } from './auth.guard';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Records every write request once answered: who (the token's name), what, and how it ended. */
@Injectable()
export class AuditMiddleware implements NestMiddleware {
  private readonly events: Repository<AuditEvent>;

  constructor(db: DataSource) {
    this.events = db.getRepository(AuditEvent);
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (!READS.has(req.method)) {
      res.once('finish', () => {
        void this.events
          .insert({
            actor: actorOf(req)?.name ?? 'anonymous',
            method: req.method,
            path: req.originalUrl.slice(0, 1024),
            status: res.statusCode,
            remoteAddress: req.ip ?? null,
          })
          .catch(() => undefined);
      });
    }
    next();
  }
}
