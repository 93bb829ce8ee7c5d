import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { Environment } from '@runyard/config';
import { ROLES } from '@runyard/persistence';
import type { Role } from '@runyard/persistence';
import { ForbiddenError, UnauthorizedError } from '@runyard/runs';
import { bearerToken } from './api-token';
import { PUBLIC_ROUTE, REQUIRED_ROLE } from './auth.decorators';
import { TokensService } from './tokens.service';

/** Who is asking, attached to the request for `requested_by` and the audit trail. */
export interface Actor {
  name: string;
  role: Role;
  /** The API token's id; none with AUTH_MODE=none. */
  tokenId?: string;
}

export const actorOf = (req: Request): Actor | undefined => (req as Request & { actor?: Actor }).actor;

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Every route needs a bearer token unless marked @Public(); reads need `viewer`, writes `operator`, unless @RequireRole says more. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
    private readonly env: Environment,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = context.switchToHttp().getRequest<Request & { actor?: Actor }>();
    if (this.env.AUTH_MODE === 'none') {
      req.actor = { name: `anonymous@${req.ip ?? 'unknown'}`, role: 'admin' };
      return true;
    }
    const bearer = bearerToken(req.headers.authorization);
    if (!bearer) throw new UnauthorizedError('this endpoint needs an API token: Authorization: Bearer <token>');
    const token = await this.tokens.authenticate(bearer);
    if (!token) throw new UnauthorizedError('the API token is not valid (unknown or revoked)');
    req.actor = { name: token.name, role: token.role, tokenId: token.id };
    const needed = this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ?? (READS.has(req.method) ? 'viewer' : 'operator');
    if (ROLES.indexOf(token.role) < ROLES.indexOf(needed)) {
      throw new ForbiddenError(`token ${token.name} has role ${token.role}; this needs ${needed}`);
    }
    return true;
  }
}
