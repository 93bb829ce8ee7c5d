import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { Environment } from '@runyard/config';
import { TokensService } from '@runyard/auth';
import { KernelQueue } from '@runyard/kernelci';
import { RunQueues } from '@runyard/queue';

export const DASHBOARD_PATH = '/admin/queues';

const DESCRIPTIONS: Record<string, string> = {
  'runyard-runs': 'Experiment runs (autosubmit run): a job lasts as long as its run',
  'runyard-commands': 'Short Autosubmit commands: stop, set-status, create, …',
  'runyard-kernel': 'Kernel builds and tests: submissions, results, KCIDB',
};

/**
 * Bull Board at /admin/queues. It is plain Express middleware, which Nest's guards never see, so it
 * gets its own check: HTTP Basic auth (any user name) with an admin token as the password.
 */
export function mountQueueDashboard(app: NestExpressApplication): void {
  const env = app.get(Environment);
  const tokens = app.get(TokensService);
  const queues = [...Object.values(app.get(RunQueues).queues), app.get(KernelQueue).queue];
  const server = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q as never, { description: DESCRIPTIONS[q.name] ?? '', readOnlyMode: false })),
    serverAdapter: server,
    options: { uiConfig: { boardTitle: 'Runyard queues' } },
  });
  app.use(DASHBOARD_PATH, adminOnly(env, tokens), server.getRouter());
}

function adminOnly(env: Environment, tokens: TokensService) {
  const refuse = (res: Response, status: number, message: string) =>
    res
      .status(status)
      .set('WWW-Authenticate', 'Basic realm="Runyard queues", charset="UTF-8"')
      .json({ error: true, error_message: message });
  return (req: Request, res: Response, next: NextFunction) => {
    if (env.AUTH_MODE === 'none') return next();
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
    const password = basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':').slice(1).join(':') : '';
    if (!password) return refuse(res, 401, 'the queue dashboard needs an admin token as the HTTP Basic password');
    void tokens.authenticate(password).then(
      (token) => {
        if (!token) return refuse(res, 401, 'the token is not valid (unknown or revoked)');
        if (token.role !== 'admin') return refuse(res, 403, `token ${token.name} has role ${token.role}; the queue dashboard needs admin`);
        next();
      },
      (e: Error) => next(e),
    );
  };
}
