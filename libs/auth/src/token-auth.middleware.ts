import type { NextFunction, Request, Response } from 'express';
import type { Environment } from '@runyard/config';
import { ROLES } from '@runyard/persistence';
import type { Role } from '@runyard/persistence';
import { bearerToken } from './api-token';
import type { Actor } from './auth.guard';
import type { TokensService } from './tokens.service';

/** The token a request carries: a Bearer header, or the password of HTTP Basic auth (any user name). */
export function requestToken(req: Request): string {
  const header = req.headers.authorization ?? '';
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  return basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':').slice(1).join(':') : (bearerToken(header) ?? '');
}

/**
 * For pages served by plain Express middleware (Bull Board, Swagger UI), which Nest's guards never
 * see: a token as a Bearer header, or as the password of HTTP Basic auth so a browser can ask for it.
 * Like the guard, it names the requester on the request, for the audit trail.
 */
export function tokenAuth(env: Environment, tokens: TokensService, role: Role, realm: string) {
  const refuse = (res: Response, status: number, message: string) =>
    res.status(status).set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`).json({ error: true, error_message: message });
  return (req: Request & { actor?: Actor }, res: Response, next: NextFunction) => {
    if (env.AUTH_MODE === 'none') {
      req.actor = { name: `anonymous@${req.ip ?? 'unknown'}`, role: 'admin' };
      return next();
    }
    const token = requestToken(req);
    if (!token) return refuse(res, 401, `${realm} needs a token: HTTP Basic with the token as password, or Authorization: Bearer`);
    void tokens.authenticate(token).then(
      (found) => {
        if (!found) return refuse(res, 401, 'the token is not valid (unknown or revoked)');
        req.actor = { name: found.name, role: found.role, tokenId: found.id };
        if (ROLES.indexOf(found.role) < ROLES.indexOf(role))
          return refuse(res, 403, `token ${found.name} has role ${found.role}; ${realm} needs ${role}`);
        next();
      },
      (e: Error) => next(e),
    );
  };
}
