import { Injectable, Logger, NestMiddleware, OnApplicationShutdown } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { AuditEvent, poolRows } from '@runyard/persistence';
import { maskTokens } from './api-token';
import { actorOf } from './auth.guard';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Runner SDK executors report results many times a second on their own credential: machine traffic,
 * so only their refused or failed calls (status 400 and above) are recorded, not the accepted ones.
 */
const EXECUTOR_ROUTES = '/api/v1/executor/';
/** The status recorded for a request whose client went away before it was answered (nginx's convention). */
export const CLIENT_CLOSED = 499;
/** Events are written in batches: one INSERT per burst instead of one per request on the hot path. */
const FLUSH_MS = 200;
const FLUSH_AT = 200;
/** A batch as one statement of six arrays: the same text whatever the batch's size, no per-row parameters to build. */
const INSERT_BATCH = `INSERT INTO audit_events (at, actor, method, path, status, remote_address)
  SELECT * FROM unnest($1::timestamptz[], $2::varchar[], $3::varchar[], $4::varchar[], $5::int[], $6::varchar[])`;

/** The client's address, read while the request still has its socket (`req.ip` throws once it is gone). */
function remoteAddressOf(req: Request): string | null {
  try {
    return req.ip ?? req.socket?.remoteAddress ?? null;
  } catch {
    return null;
  }
}

/** Records every write request once answered or abandoned: who (the token's name), what, and how it ended. */
@Injectable()
export class AuditMiddleware implements NestMiddleware, OnApplicationShutdown {
  private readonly log = new Logger('Audit');
  private pending: Omit<AuditEvent, 'id'>[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly db: DataSource) {}

  use(req: Request, res: Response, next: NextFunction): void {
    if (READS.has(req.method)) return next();
    // Everything but the actor (named later by the guard) is read now, while the request is whole.
    const arrived = { method: req.method, path: maskTokens(req.originalUrl).slice(0, 1024), remoteAddress: remoteAddressOf(req) };
    const executorCall = req.originalUrl.startsWith(EXECUTOR_ROUTES);
    // `close` comes after `finish` when answered, and alone when the client left first.
    res.once('close', () => {
      try {
        const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED;
        if (executorCall && status < 400) return;
        this.record({ at: new Date(), actor: actorOf(req)?.name ?? 'anonymous', status, ...arrived });
      } catch (e) {
        // A lost audit row is logged; it never takes the process down.
        this.log.error(`audit of ${arrived.method} ${arrived.path} not recorded: ${(e as Error).message}`);
      }
    });
    next();
  }

  private record(event: Omit<AuditEvent, 'id'>): void {
    this.pending.push(event);
    if (this.pending.length >= FLUSH_AT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const column = <K extends keyof (typeof batch)[number]>(k: K) => batch.map((e) => e[k]);
    const columns = [column('at'), column('actor'), column('method'), column('path'), column('status'), column('remoteAddress')];
    await poolRows(this.db, INSERT_BATCH, columns).catch(() => undefined);
  }

  onApplicationShutdown(): Promise<void> {
    return this.flush();
  }
}
