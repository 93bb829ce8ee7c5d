import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, NestMiddleware } from '@nestjs/common';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { UnavailableError } from '@runyard/runs';
import { mayBeUnder } from '../common/mounted-at';

export const UI_PATH = '/ui';
/** What `npm run build` makes of apps/web (dist/apps/api/src/web → dist/web). */
const UI_DIR = join(__dirname, '..', '..', '..', '..', 'web');

/** The page loads only its own files and talks only to this origin: no CDN, no inline script, no framing. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The web UI at /ui/: static files only. They hold no data, so they need no token; every figure the
 * page shows comes from the API with the token the user gives it, under the same roles as any client.
 */
@Injectable()
export class WebUiMiddleware implements NestMiddleware {
  private readonly router = express.Router();

  constructor() {
    const index = join(UI_DIR, 'index.html');
    const headers = (_req: Request, res: Response, next: NextFunction) => {
      res.set({ 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
      next();
    };
    this.router.get(UI_PATH, (req, res, next) => (req.path === UI_PATH ? res.redirect(301, `${UI_PATH}/`) : next()));
    this.router.use(
      UI_PATH,
      headers,
      // Built file names carry their content's hash: cached for good; index.html is not, under any name it is asked by.
      express.static(UI_DIR, {
        index: false,
        immutable: true,
        maxAge: '1y',
        fallthrough: true,
        setHeaders: (res, path) => {
          if (path === index) res.setHeader('Cache-Control', 'no-cache');
        },
      }),
      (req: Request, res: Response, next: NextFunction) => {
        if (req.method !== 'GET' && req.method !== 'HEAD') return next();
        if (req.path.startsWith('/assets/')) return next();
        if (!existsSync(index)) return next(new UnavailableError('the web UI is not built: run npm run build'));
        res.set('Cache-Control', 'no-cache').sendFile(index);
      },
    );
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (!mayBeUnder(req.url, UI_PATH)) return next();
    this.router(req, res, next);
  }
}
