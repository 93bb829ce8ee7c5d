import { HttpException, HttpStatus, Injectable, NestMiddleware } from '@nestjs/common';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { BadInputError } from '@runyard/runs';
import { inputProblem, pathProblem } from './input-rules';

const BODY_LIMIT_BYTES = 1024 * 1024;
/** Signed callbacks are verified on their exact bytes: that path gets the body raw, everything else JSON. */
const CALLBACK_PATH = '/api/v1/tuxsuite/callback/';

/** body-parser's errors, in the error body's words. */
function bodyError(e: { type?: string; status?: number; message?: string }): Error {
  switch (e.type) {
    case 'entity.too.large':
      return new HttpException(`the body is larger than 1 MiB (${BODY_LIMIT_BYTES} bytes)`, HttpStatus.PAYLOAD_TOO_LARGE);
    case 'entity.parse.failed':
      return new BadInputError(`the body is not valid JSON: ${e.message ?? ''}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpException(e.message ?? 'unsupported body encoding', HttpStatus.UNSUPPORTED_MEDIA_TYPE);
    default:
      return new BadInputError(`the body could not be read: ${e.message ?? e.type ?? 'unknown error'}`);
  }
}

/** Reads the body and refuses, before any route sees it, input that breaks the rules of input-rules.ts. */
@Injectable()
export class RequestInputMiddleware implements NestMiddleware {
  private readonly raw = express.raw({ type: () => true, limit: '10mb' });
  private readonly json = express.json({ limit: BODY_LIMIT_BYTES });

  use(req: Request, res: Response, next: NextFunction): void {
    const problem = pathProblem(req.path) ?? inputProblem(req.query, 'query');
    if (problem) return next(new BadInputError(problem));
    const signed = req.path.startsWith(CALLBACK_PATH);
    (signed ? this.raw : this.json)(req, res, (e?: unknown) => {
      if (e) return next(bodyError(e as { type?: string }));
      const bodyProblem = signed ? null : inputProblem(req.body, 'body');
      next(bodyProblem ? new BadInputError(bodyProblem) : undefined);
    });
  }
}
