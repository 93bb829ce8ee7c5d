import type { IncomingMessage } from 'node:http';

/**
 * Requests that come every few seconds by design (agents' heartbeats and long polls, executors'
 * exchanges, clients polling a run's status, scrapes and the dashboard's refresh): their request
 * lines are at debug when answered without error, so the log at info tells what happened.
 */
const ROUTINE: readonly [method: string, path: RegExp][] = [
  ['POST', /^\/api\/v1\/agents\/[^/]+\/(heartbeat|poll)$/],
  ['POST', /^\/api\/v1\/agent-jobs\/\d+\/output$/],
  ['POST', /^\/api\/settings\/runner-hosts\/[^/]+\/register$/],
  ['POST', /^\/api\/v1\/executor\/exchange$/],
  ['GET', /^\/api\/v1\/sessions\/\d+\/results$/],
  ['POST', /^\/api\/v1\/applications\/[^/]+\/lease$/],
  ['GET', /^\/api\/v1\/runs\/\d+$/],
  ['POST', /^\/v4\/runners\/command\/get-runner-run-status$/],
  ['GET', /^\/metrics$/],
  ['GET', /^\/admin\/queues\/api\/queues$/],
];

export function isRoutineRequest(req: Pick<IncomingMessage, 'method' | 'url'>): boolean {
  const path = (req.url ?? '').split('?')[0];
  return ROUTINE.some(([method, pattern]) => req.method === method && pattern.test(path));
}
