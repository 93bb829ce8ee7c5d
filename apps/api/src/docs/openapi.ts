import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { Environment } from '@runyard/config';
import { tokenAuth, TokensService } from '@runyard/auth';
import { ERROR_BODY, RESPONSES } from './response-schemas';

const PUBLIC = new Set(['get /health', 'get /health/ready', 'post /api/v1/tuxsuite/callback/{kind}', 'get /metrics']);

/**
 * /docs (Swagger UI) and /docs-json. Request schemas come from the DTOs' class-validator rules (one
 * source of truth with the validation itself), response schemas from response-schemas.ts.
 */
export function mountOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Runyard')
    .setDescription(
      'Runs work on compute through runners: the Autosubmit API runner endpoints (v4, v4alpha), Runyard’s own API, kernel CI on TuxSuite.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API token (ry_…)' }, 'token')
    .build();
  const document = complete(SwaggerModule.createDocument(app, config));
  // Like everything but health: a token (viewer and up), as HTTP Basic password in a browser.
  const auth = tokenAuth(app.get(Environment), app.get(TokensService), 'viewer', 'the API docs');
  app.use(['/docs', '/docs-json'], auth);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

function complete(doc: OpenAPIObject): OpenAPIObject {
  // Every class-validator class, the environment's included: only the DTOs belong in the API's schemas.
  const { Environment: _env, ...dtoSchemas } = validationMetadatasToSchemas({ refPointerPrefix: '#/components/schemas/' }) as Record<
    string,
    object
  >;
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, ...dtoSchemas, ErrorBody: ERROR_BODY } };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item as Record<string, Record<string, unknown>>)) {
      const key = `${method} ${path}`;
      const answer = RESPONSES[key];
      const responses: Record<string, unknown> = {};
      if (answer) {
        responses[answer.status] = {
          description: answer.description,
          ...(answer.schema ? { content: { 'application/json': { schema: answer.schema } } } : {}),
          ...(answer.content ? { content: { [answer.content]: { schema: { type: 'string' } } } } : {}),
        };
      }
      for (const [status, description] of Object.entries(ERRORS)) {
        responses[status] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } };
      }
      op.responses = responses;
      op.security = PUBLIC.has(key) ? [] : [{ token: [] }];
      if (!op.tags) op.tags = [tagOf(path)];
    }
  }
  return doc;
}

const ERRORS: Record<string, string> = {
  400: 'bad input (nothing stored or executed)',
  401: 'no or bad token (or signature, for callbacks)',
  403: 'role too low, or endpoint/runner/loader disabled',
  404: 'unknown run, profile, experiment or uid',
  409: 'the experiment is already running',
  503: 'database or queue unavailable',
};

const tagOf = (path: string) =>
  path.startsWith('/v4alpha')
    ? 'Autosubmit v4alpha'
    : path.startsWith('/v4')
      ? 'Autosubmit v4'
      : /builds|tests|boot-test|tuxsuite|sync/.test(path)
        ? 'Kernel CI'
        : 'Runyard';
