import type { Role } from '@runyard/persistence';
import { UI_PATH } from '../web/web-ui.middleware';

/** Pages served by Express middleware outside Nest's routes (the docs, the queue dashboard, the web UI), documented all the same. */
interface Page {
  summary: string;
  description: string;
  role: Role;
  /** Served without a token: static files that hold no data. */
  public?: boolean;
  type: string;
  example: string;
  /** Refusals of the page's own, by status. */
  errors?: Record<number, string>;
}

const HTML = '<!DOCTYPE html>\n<html lang="en">…</html>';

export const PAGE_LIST: Record<string, Page> = {
  '/docs': { summary: 'These docs (Swagger UI)', description: 'the docs page', role: 'viewer', type: 'text/html', example: HTML },
  '/docs-json': {
    summary: 'This document (JSON)',
    description: 'OpenAPI 3',
    role: 'viewer',
    type: 'application/json',
    example: '{"openapi":"3.0.0","info":{"title":"Runyard",…},…}',
  },
  '/docs-yaml': {
    summary: 'This document (YAML)',
    description: 'OpenAPI 3',
    role: 'viewer',
    type: 'text/yaml',
    example: 'openapi: 3.0.0\ninfo:\n  title: Runyard\n…',
  },
  '/admin/queues': {
    summary: 'The queue dashboard (Bull Board)',
    description:
      'every queue and job (the run queues read-only: stop or resubmit a run instead); its write actions (retry, clean, pause, delete) are audited',
    role: 'admin',
    type: 'text/html',
    example: HTML,
  },
  [`${UI_PATH}/`]: {
    summary: 'The web UI',
    description:
      'runs, schedules, sessions and agents in a browser (any path under it is the same page); static files, so no token: the page asks the API with the token the user gives it',
    role: 'viewer',
    public: true,
    type: 'text/html',
    example: HTML,
    errors: { 503: 'the web UI is not built: run npm run build' },
  },
};

export const PAGES = Object.fromEntries(
  Object.entries(PAGE_LIST).map(([path, p]) => [
    path,
    {
      get: {
        operationId: `page ${path}`,
        summary: p.summary,
        description: p.description,
        tags: ['Operations'],
        parameters: [],
        responses: {
          200: { description: p.description, content: { [p.type]: { schema: { type: 'string' }, example: p.example } } },
          ...Object.fromEntries(Object.entries(p.errors ?? {}).map(([status, description]) => [status, { description }])),
        },
      },
    },
  ]),
);
