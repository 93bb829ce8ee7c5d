import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { bearerToken } from '@runyard/auth';
import { isFinal } from '@runyard/persistence';
import { UnauthorizedError } from '@runyard/runs';
import { ExecutorGoneError, ExecutorIdentity, parseExecutorToken, sameExecutorSecret, SessionsRepository } from '@runyard/sessions';

export const executorOf = (req: Request): ExecutorIdentity => (req as Request & { executor: ExecutorIdentity }).executor;

/**
 * The executors' routes take only an executor's own credential (a file in its run directory), never
 * an API token. It is bound to its session and its run, and checked on every request (no cache):
 * once the run has ended it is refused (401); once its session is closed or lost it serves only to
 * report the calls the executor still holds, then 410 tells the executor to exit.
 */
@Injectable()
export class ExecutorGuard implements CanActivate {
  constructor(private readonly repo: SessionsRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { executor?: ExecutorIdentity }>();
    const token = bearerToken(req.headers.authorization);
    const parsed = token ? parseExecutorToken(token) : null;
    if (!token || !parsed) throw new UnauthorizedError('the executor routes need an executor credential: Authorization: Bearer rye_…');
    const found = await this.repo.executorCredential(parsed.id);
    if (found && !sameExecutorSecret(parsed.secret, found.tokenSha256)) throw new UnauthorizedError('the executor credential is not valid');
    if (found?.runStatus && isFinal(found.runStatus)) {
      throw new UnauthorizedError(`this executor credential belonged to run ${found.runId}, which has ended: it is no longer valid`);
    }
    if (!found || found.status === 'gone') throw new ExecutorGoneError("this executor's session has ended or replaced it");
    if (found.sessionStatus !== 'open' && !found.holding)
      throw new ExecutorGoneError(`session ${found.sessionId} is ${found.sessionStatus}`);
    req.executor = { id: found.id, sessionId: found.sessionId, application: found.application, ordered: found.ordered };
    return true;
  }
}
