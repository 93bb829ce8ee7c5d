import type { Role } from '@runyard/persistence';

/** Pages served by Express middleware outside Nest's routes (the docs, the queue dashboard), documented all the same. */
interface Page {
  summary: string;
  description: string;
  role: Role;
  type: string;
  example: string;
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
    description: 'every queue and job; its write actions (retry, clean, pause, delete) are audited',
    role: 'admin',
    type: 'text/html',
    example: HTML,
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
        responses: { 200: { description: p.description, content: { [p.type]: { schema: { type: 'string' }, example: p.example } } } },
      },
    },
  ]),
);
