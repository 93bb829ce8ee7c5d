import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { bearerToken } from '@runyard/auth';
import { UnauthorizedError } from '@runyard/runs';
import { ExecutorGoneError, ExecutorIdentity, parseExecutorToken, sameExecutorSecret, SessionsRepository } from '@runyard/sessions';

/** A verified credential is trusted this long; every claim and commit is fenced in SQL anyway. */
const VERIFIED_TTL_MS = 2_000;

export const executorOf = (req: Request): ExecutorIdentity => (req as Request & { executor: ExecutorIdentity }).executor;

/** The executors' routes take only an executor's own credential (a file in its run directory), never an API token. */
@Injectable()
export class ExecutorGuard implements CanActivate {
  private readonly verified = new Map<string, { identity: ExecutorIdentity; at: number }>();

  constructor(private readonly repo: SessionsRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { executor?: ExecutorIdentity }>();
    const token = bearerToken(req.headers.authorization);
    const parsed = token ? parseExecutorToken(token) : null;
    if (!token || !parsed) throw new UnauthorizedError('the executor routes need an executor credential: Authorization: Bearer rye_…');
    const hit = this.verified.get(token);
    if (hit && Date.now() - hit.at < VERIFIED_TTL_MS) {
      req.executor = hit.identity;
      return true;
    }
    const found = await this.repo.executorCredential(parsed.id);
    if (found && !sameExecutorSecret(parsed.secret, found.tokenSha256)) throw new UnauthorizedError('the executor credential is not valid');
    if (!found || found.status === 'gone') throw new ExecutorGoneError("this executor's session has ended or replaced it");
    const identity: ExecutorIdentity = { id: found.id, sessionId: found.sessionId, application: found.application, ordered: found.ordered };
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(token, { identity, at: Date.now() });
    req.executor = identity;
    return true;
  }
}
