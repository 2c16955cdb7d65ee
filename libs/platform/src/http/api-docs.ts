import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { SwaggerModule } from '@nestjs/swagger';

/** The files /docs/:file serves, and their types. A Map: `constructor` or `__proto__` is not a file. */
const ASSETS = new Map<string, string>([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'application/javascript; charset=utf-8'],
  ['swagger-ui-standalone-preset.js', 'application/javascript; charset=utf-8'],
]);

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Dropline API</title><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/docs-json', dom_id: '#ui', presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout', persistAuthorization: true });</script>
</body></html>`;

/**
 * /docs (Swagger UI), /docs-json and /docs-yaml. Nest's Swagger UI on Fastify needs the
 * optional @fastify/static package, which the engine does not depend on (without it Nest
 * exits the process at boot); the three UI files come straight from swagger-ui-dist instead.
 */
export function setupApiDocs(app: NestFastifyApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, { ui: false });
  const dist = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/docs', (_request, reply) => void reply.type('text/html; charset=utf-8').send(PAGE));
  fastify.get<{ Params: { file: string } }>('/docs/:file', (request, reply) => {
    const type = ASSETS.get(request.params.file);
    if (!type)
      return void reply
        .status(404)
        .type('application/problem+json')
        .send({ type: 'https://dropline.dev/problems/route-not-found', title: 'Not Found', status: 404, code: 'ROUTE.NOT_FOUND' });
    void reply
      .type(type)
      .header('cache-control', 'public, max-age=86400')
      .send(readFileSync(path.join(dist, request.params.file)));
  });
}
