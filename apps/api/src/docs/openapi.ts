import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { Environment } from '@runyard/config';
import { SCHEDULE_NAME } from '@runyard/schedules';
import { APP_NAME, OBJECT_NAME, SHA256 } from '@runyard/sessions';
import { INT4_MAX } from '../common/column-rules';
import { ERROR_BODY, PAGES, QUERIES, RESPONSES, Schema } from './response-schemas';

/** What a route needs, as the guard and the metrics controller decide it. */
const PUBLIC = new Set(['get /health', 'get /health/ready', 'post /api/v1/tuxsuite/callback/{kind}']);
/** The agents' own routes: authenticated by the agent's secret or a run's job token, not an API token. */
const AGENT_ROUTE =
  /^(post \/api\/v1\/agents\/\{agentId\}\/((heartbeat|poll|rotate)$|commands\/)|(get|post) \/api\/v1\/agent-jobs\/|post \/api\/settings\/)/;
const PATH_PARAMETERS: Record<string, Schema> = {
  id: { type: 'integer', minimum: 1, maximum: INT4_MAX },
  expid: { type: 'string', pattern: '^[a-z0-9]{4}$', description: 'the Autosubmit experiment id' },
  kind: { type: 'string', enum: ['build', 'test', 'boot'] },
  name: { type: 'string', pattern: SCHEDULE_NAME.source, description: 'the schedule’s name' },
  sha: { type: 'string', pattern: SHA256.source, description: 'the package’s SHA-256' },
  app: { type: 'string', pattern: APP_NAME.source, description: 'the Runner SDK application' },
  session: { type: 'string', pattern: '^([1-9][0-9]{0,17}|shared)$', description: 'a session id, or shared' },
  object: { type: 'string', pattern: OBJECT_NAME.source, description: 'the object’s name in {app}/{session}/{object}' },
  call: { type: 'integer', minimum: 1, maximum: INT4_MAX },
  version: { type: 'integer', minimum: 1, maximum: INT4_MAX },
  agentId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'the agent id' },
  runnerId: { type: 'string', description: 'the runner host id (an agent id)' },
  runId: { type: 'integer', minimum: 1, maximum: INT4_MAX },
  commandId: { type: 'string', pattern: '^\\d{1,18}$' },
};
/** The executors' routes take an executor's own credential, whatever AUTH_MODE says. */
const EXECUTOR_ROUTE = / \/api\/v1\/executor\//;

/**
 * The OpenAPI document of every route. Request schemas come from the DTOs' class-validator rules
 * (one source of truth with the validation itself); answers, summaries and query parameters from
 * response-schemas.ts.
 */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const env = app.get(Environment);
  const config = new DocumentBuilder()
    .setTitle('Runyard')
    .setDescription(
      'Runs work on compute through runners: the Autosubmit API runner endpoints (v4, v4alpha), Runyard’s own API, kernel CI on TuxSuite.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API token (ry_…)' }, 'token')
    .addBasicAuth({ type: 'http', scheme: 'basic', description: 'browsers: any user name, an API token as the password' }, 'basic')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'a Runner SDK executor’s own credential (rye_…)' }, 'executor')
    .build();
  const doc = SwaggerModule.createDocument(app, config);
  const open = env.AUTH_MODE === 'none';
  return complete(doc, { open, metricsPublic: open || env.METRICS_PUBLIC });
}

function complete(doc: OpenAPIObject, access: { open: boolean; metricsPublic: boolean }): OpenAPIObject {
  // Every class-validator class, the environment's included: only the DTOs belong in the API's schemas.
  const { Environment: _env, ...dtoSchemas } = validationMetadatasToSchemas({
    refPointerPrefix: '#/components/schemas/',
    // @Type(() => …) names the class of nested DTOs (arrays of them included).
    classTransformerMetadataStorage: defaultMetadataStorage,
  }) as Record<string, Schema>;
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, ...dtoSchemas, ErrorBody: ERROR_BODY } };
  doc.paths = { ...doc.paths, ...PAGES };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item as Record<string, Record<string, unknown>>)) {
      const key = `${method} ${path}`;
      const answer = RESPONSES[key];
      if (!answer) throw new Error(`response-schemas.ts does not describe ${key}`);
      const responses: Record<string, unknown> = {
        [answer.status]: {
          description: answer.description,
          ...(answer.headers ? { headers: answer.headers } : {}),
          ...(answer.schema ? { content: { 'application/json': { schema: answer.schema } } } : {}),
          ...(answer.content ? { content: { [answer.content]: { schema: { type: 'string' } } } } : {}),
        },
      };
      for (const [status, description] of Object.entries(ERRORS)) {
        responses[status] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } };
      }
      op.summary = answer.summary;
      op.description = answer.description;
      op.tags = [answer.tag];
      op.responses = responses;
      op.parameters = [...pathParameters(path), ...queryParameters(key, dtoSchemas)];
      op.security = security(key, access);
    }
  }
  doc.tags = TAGS;
  return doc;
}

function security(key: string, access: { open: boolean; metricsPublic: boolean }): Record<string, string[]>[] {
  if (EXECUTOR_ROUTE.test(key)) return [{ executor: [] }];
  if (access.open || PUBLIC.has(key) || AGENT_ROUTE.test(key)) return [];
  if (key === 'get /metrics') return access.metricsPublic ? [] : [{ token: [] }];
  if (key in PAGES_KEYS) return [{ token: [] }, { basic: [] }];
  return [{ token: [] }];
}

const PAGES_KEYS = Object.fromEntries(
  Object.entries(PAGES).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => [`${m} ${path}`, true])),
);

/** The path's parameters, from its template (a controller's own, such as an agent routes' `{agentId}`, included). */
function pathParameters(path: string): Record<string, unknown>[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: PATH_PARAMETERS[name] ?? { type: 'string' },
  }));
}

/** A route's query parameters: the properties of its query DTO (one source with its validation), or listed ones. */
function queryParameters(key: string, schemas: Record<string, Schema>): Record<string, unknown>[] {
  const query = QUERIES[key];
  if (!query) return [];
  const schema = typeof query.from === 'string' ? schemas[query.from] : { properties: query.from, required: [] };
  if (!schema) throw new Error(`no schema ${String(query.from)} for the query of ${key}`);
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties)
    .filter(([name]) => !query.omit?.includes(name))
    .map(([name, s]) => ({
      name,
      in: 'query',
      required: required.has(name),
      schema: s.type ? s : { type: 'string' },
      ...(query.descriptions?.[name] ? { description: query.descriptions[name] } : {}),
    }));
}

const TAGS = [
  { name: 'Autosubmit v4', description: 'The Autosubmit API’s /v4/runners endpoints (seed 001), as upstream' },
  { name: 'Autosubmit v4alpha', description: 'The Autosubmit API’s /v4alpha runner endpoints (seed 000), as upstream' },
  { name: 'Runs', description: 'Runyard’s own API over runs' },
  { name: 'Schedules', description: 'Cron schedules of experiment runs: next fire times, skips while a run is still going' },
  {
    name: 'Runner SDK',
    description: 'Flame’s Runner API: packages, applications, sessions serving functions, classes and instances, their calls and objects',
  },
  { name: 'Runner SDK executors', description: 'What a session’s executors call, with their own credential' },
  { name: 'Kernel CI', description: 'Kernel builds and tests on TuxSuite, the KernelCI bridge’s paths; results to KCIDB' },
  { name: 'TuxSuite callbacks', description: 'What TuxSuite calls back, signed (x-tux-payload-signature)' },
  { name: 'Tokens', description: 'API tokens and the audit trail (admins)' },
  { name: 'Operations', description: 'Health, metrics, these docs and the queue dashboard' },
  { name: 'Agents', description: 'Runner agents (admins): hosts that run work with no access to the queue or the database' },
  { name: 'Agent protocol', description: 'What runner agents call, with their own secret or a run’s job token; Automn’s host route' },
];

const ERRORS: Record<string, string> = {
  400: 'bad input (nothing stored or executed)',
  401: 'no or bad token (or signature, for callbacks)',
  403: 'role too low, not the owner (Runner SDK), or endpoint/runner/loader disabled',
  404: 'unknown run, profile, experiment or uid',
  409: 'the experiment is already running (or the schedule name is taken)',
  413: 'the body is larger than 1 MiB',
  503: 'database or queue unavailable',
};
