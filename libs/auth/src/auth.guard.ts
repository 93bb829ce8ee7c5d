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

interface RouteMarks {
  isPublic: boolean;
  role?: Role;
}

/** Every route needs a bearer token unless marked @Public(); reads need `viewer`, writes `operator`, unless @RequireRole says more. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
    private readonly env: Environment,
  ) {}

  /** Each route's marks, read once per handler: they are fixed when the classes are loaded. */
  private readonly marks = new WeakMap<object, WeakMap<object, RouteMarks>>();

  private marksOf(context: ExecutionContext): RouteMarks {
    const [handler, cls] = [context.getHandler(), context.getClass()];
    let ofClass = this.marks.get(cls);
    if (!ofClass) this.marks.set(cls, (ofClass = new WeakMap()));
    let marks = ofClass.get(handler);
    if (!marks) {
      const targets = [handler, cls];
      marks = {
        isPublic: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) ?? false,
        role: this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets),
      };
      ofClass.set(handler, marks);
    }
    return marks;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const marks = this.marksOf(context);
    if (marks.isPublic) return true;
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
    const needed = marks.role ?? (READS.has(req.method) ? 'viewer' : 'operator');
    if (ROLES.indexOf(token.role) < ROLES.indexOf(needed)) {
      throw new ForbiddenError(`token ${token.name} has role ${token.role}; this needs ${needed}`);
    }
    return true;
  }
}
