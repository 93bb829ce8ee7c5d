import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { automnErrorBody, isAutomnHostPath } from '@runyard/agent-protocol';
import { RunyardError } from '@runyard/runs';
import { classifyLibraryError } from './library-errors';

/**
 * Every error leaves as `{"error": true, "error_message": "…"}` with a meaningful status; never a 500 for bad input.
 * Automn's host routes answer in Automn's shape instead, whether their controller or the request pipeline refused.
 */
@Catch()
export class ErrorBodyFilter implements ExceptionFilter {
  private readonly log = new Logger('HTTP');

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let status = 500;
    let message = 'internal error';
    let extra: Record<string, unknown> = {};
    const library = classifyLibraryError(e);
    if (e instanceof RunyardError) {
      ({ status, message, extra } = e);
    } else if (e instanceof HttpException) {
      status = e.getStatus();
      const body = e.getResponse();
      const m = typeof body === 'string' ? body : (body as { message?: string | string[] }).message;
      message = Array.isArray(m) ? m.join('; ') : (m ?? e.message);
    } else if (library) {
      ({ status, message } = library);
      if (status === 503) this.log.warn(message);
    } else {
      this.log.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
    if (res.headersSent) return;
    // A handler may have set another type (text/plain for /metrics): the error body is JSON whatever it was.
    res
      .status(status)
      .type('application/json')
      .json(
        isAutomnHostPath(host.switchToHttp().getRequest<Request>().path)
          ? automnErrorBody(status, message, extra)
          : { error: true, error_message: message, ...extra },
      );
  }
}
