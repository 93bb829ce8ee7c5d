import type { INestApplication, Type } from '@nestjs/common';
import { GUARDS_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, getSchemaPath, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { isAutomnHostPath } from '@runyard/agent-protocol';
import { AutomnErrorBody } from '@runyard/agents/http';
import { PUBLIC_ROUTE, REQUIRED_ROLE, TOKEN_FORMAT } from '@runyard/auth';
import { Environment } from '@runyard/config';
import { ROLES } from '@runyard/persistence';
import type { Role } from '@runyard/persistence';
import { SCHEDULE_NAME } from '@runyard/schedules';
import { APP_NAME, OBJECT_NAME, SHA256 } from '@runyard/sessions';
import { INT4_MAX } from '../common/column-rules';
import { ExecutorGuard } from '../sessions/executor.guard';
import { exampleOf } from './examples';
import { PAGE_LIST, PAGES } from './pages';

type Schema = Record<string, unknown>;
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  parameters?: Schema[];
  requestBody?: { content?: Record<string, { schema?: Schema; example?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: Schema; example?: unknown }> }>;
  security?: Record<string, string[]>[];
}

/** Path parameters by name: the formats the routes' pipes and services check. */
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

const TAGS: Record<string, string> = {
  'Autosubmit v4': 'The Autosubmit API’s /v4/runners endpoints (seed 001), as upstream',
  'Autosubmit v4alpha': 'The Autosubmit API’s /v4alpha runner endpoints (seed 000), as upstream',
  Runs: 'Runyard’s own API over runs',
  Schedules: 'Cron schedules of experiment runs: next fire times, skips while a run is still going',
  'Runner SDK': 'Flame’s Runner API: packages, applications, sessions serving functions, classes and instances, their calls and objects',
  'Runner SDK executors': 'What a session’s executors call, with their own credential',
  'Kernel CI': 'Kernel builds and tests on TuxSuite, the KernelCI bridge’s paths; results to KCIDB',
  'TuxSuite callbacks': 'What TuxSuite calls back, signed (x-tux-payload-signature)',
  Tokens: 'API tokens and the audit trail (admins)',
  Operations: 'Health, metrics, these docs, the queue dashboard and the web UI',
  Agents: 'Runner agents (admins): hosts that run work with no access to the queue or the database',
  'Agent protocol': 'What runner agents call, with their own secret or a run’s job token; Automn’s host route',
};

/** Nest's parameter kinds (RouteParamtypes): what a handler takes from the request. */
const BODY = 3;
const QUERY = 4;

/** What the guard and the pipeline decide for a route, read from its decorators. */
interface Route {
  isPublic: boolean;
  /** Public, but behind a guard of its own (an agent's secret, a job token, an executor's credential). */
  guarded: boolean;
  executor: boolean;
  role: Role;
  /** The class of its `@Query()` DTO, if any. */
  query?: Type<unknown>;
  takesBody: boolean;
  /** A page served outside Nest (docs, dashboard, web UI): a Bearer token or the Basic password, unless public. */
  page?: boolean;
}

/**
 * The OpenAPI document of every route, generated from the code: operations, answers and examples
 * from the controllers' and presenters' Swagger decorators; request and query schemas from the DTOs'
 * class-validator rules (one source with the validation itself); the error answers each route can
 * give from its guard, role and input, beside the ones its handler declares.
 */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const env = app.get(Environment);
  const builder = new DocumentBuilder()
    .setTitle('Runyard')
    .setDescription(
      'Runs work on compute through runners: the Autosubmit API runner endpoints (v4, v4alpha), Runyard’s own API, kernel CI on TuxSuite.',
    )
    .setVersion('0.1.0')
    // addBearerAuth would say bearerFormat JWT: these tokens are opaque.
    .addSecurity('token', { type: 'http', scheme: 'bearer', description: TOKEN_FORMAT })
    .addSecurity('basic', { type: 'http', scheme: 'basic', description: 'browsers: any user name, an API token as the password' })
    .addSecurity('executor', { type: 'http', scheme: 'bearer', description: 'a Runner SDK executor’s own credential (rye_…), opaque' });
  for (const [name, description] of Object.entries(TAGS)) builder.addTag(name, description);
  const doc = SwaggerModule.createDocument(app, builder.build(), { operationIdFactory: (c, m) => `${c}_${m}` });
  const open = env.AUTH_MODE === 'none';
  return complete(doc, routesOf(app), { open, metricsPublic: open || env.METRICS_PUBLIC });
}

/** Every controller method by its operation id, with what its decorators say. */
function routesOf(app: INestApplication): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      const cls = metatype as Type<unknown>;
      for (const name of Object.getOwnPropertyNames(cls.prototype)) {
        const handler = cls.prototype[name] as object;
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const meta = <T>(key: string): T | undefined =>
          (Reflect.getMetadata(key, handler) as T | undefined) ?? (Reflect.getMetadata(key, cls) as T | undefined);
        // Keyed `${paramtype}:${index}`: what the handler takes from the request, in which argument.
        const args = Object.entries(
          (Reflect.getMetadata(ROUTE_ARGS_METADATA, cls, name) ?? {}) as Record<string, { index: number; data?: unknown }>,
        ).map(([key, arg]) => ({ kind: Number(key.split(':')[0]), ...arg }));
        const types = (Reflect.getMetadata('design:paramtypes', cls.prototype, name) ?? []) as Type<unknown>[];
        const queryArg = args.find((a) => a.kind === QUERY && a.data === undefined);
        const guards = meta<unknown[]>(GUARDS_METADATA) ?? [];
        const isPublic = meta<boolean>(PUBLIC_ROUTE) === true;
        routes.set(`${cls.name}_${name}`, {
          isPublic,
          guarded: isPublic && guards.length > 0,
          executor: guards.includes(ExecutorGuard),
          role: meta<Role>(REQUIRED_ROLE) ?? (Reflect.getMetadata('method', handler) === 0 ? 'viewer' : 'operator'),
          query: queryArg ? types[queryArg.index] : undefined,
          takesBody: args.some((a) => a.kind === BODY),
        });
      }
    }
  }
  for (const [path, page] of Object.entries(PAGE_LIST)) {
    const isPublic = page.public === true;
    routes.set(`page ${path}`, { isPublic, guarded: false, executor: false, role: page.role, takesBody: false, page: true });
  }
  return routes;
}

const UNKNOWN_ROUTE: Route = { isPublic: false, guarded: false, executor: false, role: 'operator', takesBody: true };

interface Access {
  open: boolean;
  metricsPublic: boolean;
}

function complete(doc: OpenAPIObject, routes: Map<string, Route>, access: Access): OpenAPIObject {
  // Every class-validator class, the environment's included: only the DTOs belong in the API's schemas.
  const { Environment: _env, ...dtoSchemas } = validationMetadatasToSchemas({
    refPointerPrefix: '#/components/schemas/',
    // @Type(() => …) names the class of nested DTOs (arrays of them included).
    classTransformerMetadataStorage: defaultMetadataStorage,
  }) as Record<string, Schema>;
  const schemas: Record<string, Schema> = { ...(doc.components?.schemas as Record<string, Schema>), ...dtoSchemas, ErrorBody: ERROR_BODY };
  doc.components = { ...doc.components, schemas };
  doc.paths = { ...doc.paths, ...PAGES };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item as Record<string, Operation>)) {
      const key = `${method} ${path}`;
      // A route without its decorators is still served and documented as Nest sees it; the docs spec names it.
      const route = routes.get(op.operationId ?? '') ?? { ...UNKNOWN_ROUTE, role: method === 'get' ? 'viewer' : 'operator' };
      op.parameters = [...pathParameters(path), ...queryParameters(op, route, schemas)];
      op.security = security(key, route, access);
      op.responses = { ...op.responses, ...errorAnswers(method, route, access, op.responses) };
      // Automn's host routes answer every error in Automn's shape, the pipeline's too (the global error filter).
      const automn = isAutomnHostPath(path);
      for (const [status, answer] of Object.entries(op.responses)) {
        if (Number(status) >= 400 && !answer.content) {
          const example = automn ? { error: answer.description } : { error: true, error_message: answer.description };
          const schema = { $ref: automn ? getSchemaPath(AutomnErrorBody) : '#/components/schemas/ErrorBody' };
          answer.content = { 'application/json': { schema, example } };
        }
        withExamples(answer.content, schemas);
      }
      if (op.requestBody) withExamples(op.requestBody.content, schemas, false);
    }
  }
  return doc;
}

/** Each media type's example: the one given, else composed from its schema's property examples (presenters' and DTOs' decorators). */
function withExamples(
  content: Record<string, { schema?: Schema; example?: unknown }> | undefined,
  schemas: Record<string, Schema>,
  compose = true,
): void {
  for (const media of Object.values(content ?? {})) {
    if (media.example !== undefined || !media.schema) continue;
    const example = compose ? exampleOf(media.schema, schemas) : declaredExample(media.schema, schemas);
    if (example !== undefined) media.example = example;
  }
}

/** A request DTO's own example (@JSONSchema({ example }) on its class). */
function declaredExample(schema: Schema, schemas: Record<string, Schema>): unknown {
  const ref = typeof schema.$ref === 'string' ? schemas[schema.$ref.split('/').pop()!] : schema;
  return ref?.example;
}

function security(key: string, route: Route, access: Access): Record<string, string[]>[] {
  if (route.page) return access.open || route.isPublic ? [] : [{ token: [] }, { basic: [] }];
  if (route.executor) return [{ executor: [] }];
  if (key === 'get /metrics') return access.metricsPublic ? [] : [{ token: [] }];
  if (access.open || route.isPublic) return [];
  return [{ token: [] }];
}

const ERROR_BODY: Schema = {
  type: 'object',
  properties: {
    error: { type: 'boolean', enum: [true] },
    error_message: { type: 'string', description: 'what went wrong, in words for people' },
    run_id: { type: 'integer', nullable: true, description: 'the run concerned, when there is one' },
  },
  required: ['error', 'error_message'],
};

/**
 * The errors the request pipeline and the guard give a route, whatever its handler does: 400 at the
 * door (path, query and body rules, then the DTO's), 413 for a body over 1 MiB (any method but GET), 401 and 403 from the
 * token and the role the route needs, 503 when what the guard or handler reads is down. A handler's
 * own @ApiResponse for a status says it better and is kept.
 */
function errorAnswers(
  method: string,
  route: Route,
  access: Access,
  declared: Record<string, unknown>,
): Record<string, { description: string }> {
  const answers: Record<string, string> = {
    400:
      route.query || route.takesBody
        ? 'bad input: the DTO’s rules (nothing stored or executed)'
        : 'bad input: a path or query the input rules refuse',
  };
  // The door reads any request's body, whether the route wants one or not.
  if (method !== 'get') answers[413] = 'the body is larger than the route accepts (JSON: 1 MiB)';
  const needsToken = !route.isPublic;
  if (route.guarded) answers[401] = 'no credential, or not a valid one (the route’s own: agent secret, job token, executor credential)';
  if (needsToken && !access.open) {
    answers[401] = 'no API token, or not a valid one (unknown or revoked)';
    const role = route.role;
    const below = ROLES.slice(0, ROLES.indexOf(role));
    if (below.length > 0) answers[403] = `the token’s role is too low: this needs ${role} (${below.join(' and ')} tokens are refused)`;
  }
  if (needsToken || route.guarded) answers[503] = 'the database or the queue is unavailable';
  // A refusal of the handler's own with the same status as the guard's (403: disabled, or not the owner) is one reason more.
  const merged: Record<string, { description: string }> = {};
  for (const [status, description] of Object.entries(answers)) {
    const own = declared[status] as { description: string } | undefined;
    if (!own) merged[status] = { description };
    else if (status === '403') own.description = `${own.description}; or ${description}`;
  }
  return merged;
}

/** The path's parameters, from its template (a controller's own, such as an agent routes' `{agentId}`, included). */
function pathParameters(path: string): Schema[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: PATH_PARAMETERS[name] ?? { type: 'string' },
  }));
}

/**
 * A route's query parameters: the properties of its `@Query()` DTO (one source with its validation;
 * objects cannot be query parameters), else those its @ApiQuery decorators name.
 */
function queryParameters(op: Operation, route: Route, schemas: Record<string, Schema>): Schema[] {
  const declared = (op.parameters ?? []).filter((p) => p.in === 'query');
  const schema = route.query ? schemas[route.query.name] : undefined;
  if (!schema) return declared;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries((schema.properties ?? {}) as Record<string, Schema>)
    .filter(([, s]) => s.type !== 'object')
    .map(([name, s]) => {
      const { description, ...rule } = s;
      return {
        name,
        in: 'query',
        required: required.has(name),
        schema: rule.type || rule.enum ? rule : { ...rule, type: 'string' },
        ...(description ? { description } : {}),
      };
    });
}
