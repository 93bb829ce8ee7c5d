import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Response } from 'express';
import { RunyardError } from '@runyard/runs';

/**
 * Errors of Automn's host routes leave in Automn's shape, `{"error": "Invalid runner secret", "code":
 * "invalid_secret"}`: a stock runner builds its message from `error`, and would show Runyard's
 * `{"error": true, …}` as "Registration failed: true".
 */
/** That shape, for the API docs. */
export class AutomnErrorBody {
  @ApiProperty({ example: 'Invalid runner secret' })
  error: string;
  @ApiPropertyOptional({ example: 'invalid_secret' })
  code?: string;
}

@Catch()
export class AutomnErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('AutomnHost');

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let status = 500;
    // Automn's own text for a failure of its store.
    let message = 'Failed to register runner host';
    let extra: Record<string, unknown> = {};
    if (e instanceof RunyardError) ({ status, message, extra } = e);
    else if (e instanceof HttpException) {
      status = e.getStatus();
      const body = e.getResponse();
      const m = typeof body === 'string' ? body : (body as { message?: string | string[] }).message;
      message = Array.isArray(m) ? m.join('; ') : (m ?? e.message);
    } else this.log.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    if (res.headersSent) return;
    res
      .status(status)
      .type('application/json')
      .json({ error: message, ...extra });
  }
}
