import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Environment } from '@runyard/config';
import { tokenAuth, TokensService } from '@runyard/auth';
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
 * gets its own check: an admin token, as the HTTP Basic password (any user name) in a browser.
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
  app.use(DASHBOARD_PATH, tokenAuth(env, tokens, 'admin', 'the queue dashboard'), server.getRouter());
}
