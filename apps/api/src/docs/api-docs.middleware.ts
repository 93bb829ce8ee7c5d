import { Injectable, NestMiddleware } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { stringify } from 'yaml';
import { Environment } from '@runyard/config';
import { requestToken, tokenAuth, TokensService } from '@runyard/auth';
import { mayBeUnder } from '../common/mounted-at';

const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Runyard API</title>
    <link rel="stylesheet" type="text/css" href="/docs/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="/docs/runyard-init.js" charset="UTF-8"></script>
  </body>
</html>
`;

/**
 * The page starts Swagger UI on /docs-json and fills Authorize with the token the browser logged in
 * with (the Basic password): one login. The script is made per request and never cached; it holds
 * only the token that very request sent.
 */
function initScript(token: string): string {
  const prefill = token
    ? `onComplete: () => window.ui.preauthorizeApiKey('token', ${JSON.stringify(token).replace(/</g, '\\u003c')}),`
    : '';
  return `window.ui = SwaggerUIBundle({
  url: '/docs-json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  ${prefill}
});
`;
}

/** The OpenAPI document, made once the app knows its routes (bootstrap), before it listens. */
@Injectable()
export class PublishedDocs {
  private document?: OpenAPIObject;
  private yamlText?: string;

  publish(document: OpenAPIObject): void {
    this.document = document;
    this.yamlText = undefined;
  }

  json(): OpenAPIObject {
    if (!this.document) throw new Error('the OpenAPI document was not published');
    return this.document;
  }

  yaml(): string {
    return (this.yamlText ??= stringify(this.json()));
  }
}

/** /docs (Swagger UI), /docs-json and /docs-yaml: any token (viewer and up), as a Bearer header or the Basic password. */
@Injectable()
export class ApiDocsMiddleware implements NestMiddleware {
  private readonly router = express.Router();

  constructor(env: Environment, tokens: TokensService, docs: PublishedDocs) {
    const auth = tokenAuth(env, tokens, 'viewer', 'the API docs');
    this.router.get('/docs-json', auth, (_req, res) => res.json(docs.json()));
    this.router.get('/docs-yaml', auth, (_req, res) => res.type('text/yaml').send(docs.yaml()));
    this.router.get(['/docs', '/docs/', '/docs/index.html'], auth, (_req, res) => res.type('text/html').send(PAGE));
    this.router.get('/docs/runyard-init.js', auth, (req, res) =>
      res
        .type('application/javascript')
        .set('Cache-Control', 'no-store')
        .send(initScript(requestToken(req))),
    );
    this.router.use('/docs', auth, express.static(getAbsoluteFSPath(), { index: false }));
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (!mayBeUnder(req.url, '/docs')) return next();
    this.router(req, res, next);
  }
}
