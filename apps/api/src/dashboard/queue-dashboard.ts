import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Injectable, NestMiddleware } from '@nestjs/common';
import type { Queue } from 'bullmq';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { Environment } from '@runyard/config';
import { tokenAuth, TokensService } from '@runyard/auth';
import { KernelQueue } from '@runyard/kernelci';
import { answerWithin, QUEUE_NAMES, RunJob, RunQueues } from '@runyard/queue';
import { UnavailableError } from '@runyard/runs';
import { ScheduleQueue } from '@runyard/schedules';
import { mayBeUnder } from '../common/mounted-at';
import { UI_PATH } from '../web/web-ui.middleware';

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

/** What a run's job is, in words: `run 21 · Autosubmit a001 run`, `run 22 · script`. */
function runJobTitle(job: { name?: string; data?: Partial<RunJob> }): string {
  const { runId, kind, expid } = job.data ?? {};
  if (typeof runId !== 'number') return job.name ?? '';
  const what = kind === 'session' ? 'Runner SDK session executor' : expid ? `Autosubmit ${expid} ${kind}` : (kind ?? 'run');
  return `run ${runId} · ${what}`;
}

/**
 * A run's job as the board shows it. Read-only: the engine decides a run's outcome, and a job retried,
 * promoted, added or cleaned here would change the board's story without running anything (a Retry
 * once turned a FAILED run's job green while the run stayed FAILED). Stop or resubmit the run instead.
 */
function runQueueAdapter(queue: Queue<RunJob>) {
  const adapter = new BullMQAdapter(queue as never, {
    description: `${DESCRIPTIONS[queue.name]}. Read-only: stop or resubmit a run on its page`,
    readOnlyMode: true,
    externalJobUrl: (job) => {
      const runId = (job.data as Partial<RunJob> | undefined)?.runId;
      return typeof runId === 'number'
        ? { displayText: `run ${runId} in Runyard`, href: `${UI_PATH}/#/runs/${runId}` }
        : { href: `${UI_PATH}/` };
    },
  });
  adapter.setFormatter('name', runJobTitle);
  return adapter;
}

/**
 * Bull Board at /admin/queues, one step of the request pipeline (after the request id, the log
 * line and the audit). Nest's guards never see it, so it has its own check: an admin token, as the
 * HTTP Basic password (any user name) in a browser; the token's name goes to the audit trail.
 */
@Injectable()
export class QueueDashboardMiddleware implements NestMiddleware {
  private readonly router = express.Router();

  constructor(env: Environment, tokens: TokensService, runQueues: RunQueues, kernelQueue: KernelQueue, scheduleQueue: ScheduleQueue) {
    const others = [kernelQueue.queue, scheduleQueue.queue];
    const server = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
    createBullBoard({
      queues: [
        ...QUEUE_NAMES.map((name) => runQueueAdapter(runQueues.queues[name])),
        ...others.map((q) => new BullMQAdapter(q as never, { description: DESCRIPTIONS[q.name] ?? '', readOnlyMode: false })),
      ],
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
