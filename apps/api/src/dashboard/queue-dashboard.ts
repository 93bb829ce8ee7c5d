import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Injectable, NestMiddleware } from '@nestjs/common';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { Environment } from '@runyard/config';
import { tokenAuth, TokensService } from '@runyard/auth';
import { KernelQueue } from '@runyard/kernelci';
import { answerWithin, RunQueues } from '@runyard/queue';
import { UnavailableError } from '@runyard/runs';
import { ScheduleQueue } from '@runyard/schedules';
import { mayBeUnder } from '../common/mounted-at';

export const DASHBOARD_PATH = '/admin/queues';
/** Bull Board would wait for an absent Redis indefinitely: the dashboard answers 503 after this instead. */
const QUEUE_CHECK_MS = 2000;

/** Lets the request through to the board once the queue answers; else 503 with the reason. */
const whenQueueAnswers = (queues: RunQueues) => (_req: Request, _res: Response, next: NextFunction) =>
  void answerWithin(queues.ping(), QUEUE_CHECK_MS, () => new Error(`it did not answer within ${QUEUE_CHECK_MS} ms`)).then(
    () => next(),
    (e: Error) => next(new UnavailableError(`the queue is unavailable: ${e.message}`)),
  );

const DESCRIPTIONS: Record<string, string> = {
  'runyard-runs': 'Experiment runs (autosubmit run): a job lasts as long as its run',
  'runyard-commands': 'Short Autosubmit commands: stop, set-status, create, …',
  'runyard-kernel': 'Kernel builds and tests: submissions, results, KCIDB',
  'runyard-schedules': 'Schedule fires (one job scheduler per active schedule) and fires waiting for a run to end',
};

/**
 * Bull Board at /admin/queues, one step of the request pipeline (after the request id, the log
 * line and the audit). Nest's guards never see it, so it has its own check: an admin token, as the
 * HTTP Basic password (any user name) in a browser; the token's name goes to the audit trail.
 */
@Injectable()
export class QueueDashboardMiddleware implements NestMiddleware {
  private readonly router = express.Router();

  constructor(env: Environment, tokens: TokensService, runQueues: RunQueues, kernelQueue: KernelQueue, scheduleQueue: ScheduleQueue) {
    const queues = [...Object.values(runQueues.queues), kernelQueue.queue, scheduleQueue.queue];
    const server = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
    createBullBoard({
      queues: queues.map((q) => new BullMQAdapter(q as never, { description: DESCRIPTIONS[q.name] ?? '', readOnlyMode: false })),
      serverAdapter: server,
      options: { uiConfig: { boardTitle: 'Runyard queues' } },
    });
    const board = server.getRouter() as express.Express;
    board.disable('x-powered-by');
    this.router.use(DASHBOARD_PATH, tokenAuth(env, tokens, 'admin', 'the queue dashboard'), whenQueueAnswers(runQueues), board);
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (!mayBeUnder(req.url, DASHBOARD_PATH)) return next();
    this.router(req, res, next);
  }
}
