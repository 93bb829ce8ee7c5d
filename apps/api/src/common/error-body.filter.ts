import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { RunyardError } from '@runyard/runs';

/** Every error leaves as `{"error": true, "error_message": "…"}` with a meaningful status; never a 500 for bad input. */
@Catch()
export class ErrorBodyFilter implements ExceptionFilter {
  private readonly log = new Logger('HTTP');

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let status = 500;
    let message = 'internal error';
    let extra: Record<string, unknown> = {};
    if (e instanceof RunyardError) {
      ({ status, message, extra } = e);
    } else if (isDependencyDown(e)) {
      status = 503;
      message = `a service Runyard needs is unavailable: ${(e as Error).message}`;
    } else if (e instanceof HttpException) {
      status = e.getStatus();
      const body = e.getResponse();
      const m = typeof body === 'string' ? body : (body as { message?: string | string[] }).message;
      message = Array.isArray(m) ? m.join('; ') : (m ?? e.message);
    } else {
      this.log.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
    if (res.headersSent) return;
    res.status(status).json({ error: true, error_message: message, ...extra });
  }
}

/** A connection to Postgres or Redis that failed or was lost (pg, TypeORM, ioredis, BullMQ). */
function isDependencyDown(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|57P0[1-3]|08\w{3})$/.test(code))
    return true;
  const message = e instanceof Error ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Connection is closed|Stream isn't writeable|MaxRetriesPerRequest|connect ECONNREFUSED|Client has encountered a connection error/i.test(
    message,
  );
}
