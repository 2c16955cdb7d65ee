import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { SwaggerModule } from '@nestjs/swagger';
import { problem } from './problem';

/** The files swagger-ui-dist provides that /docs/:file serves, and their types. */
const DIST_ASSETS: ReadonlyArray<[string, string]> = [
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'application/javascript; charset=utf-8'],
  ['swagger-ui-standalone-preset.js', 'application/javascript; charset=utf-8'],
];

/**
 * Swagger UI's start-up, as a file: the Content-Security-Policy allows no inline script.
 * Tokens typed into "Authorize" live in the page only (persistAuthorization false: nothing in
 * localStorage); no validator badge (it would fetch from validator.swagger.io).
 */
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/docs-json',
  dom_id: '#ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  persistAuthorization: false,
  validatorUrl: null,
});
`;

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Dropline API</title><link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/swagger-init.js"></script>
</body></html>`;

interface Asset {
  type: string;
  body: Buffer;
}

/**
 * Every file /docs serves, read once, at the first request for one (not at boot: they are a few
 * MB the engine does not need to hold until someone opens the docs); later requests never touch
 * the disk. A Map: `constructor` or `__proto__` is not a file.
 */
function loadAssets(): Map<string, Asset> {
  const dist = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const assets = new Map<string, Asset>();
  for (const [file, type] of DIST_ASSETS) assets.set(file, { type, body: readFileSync(path.join(dist, file)) });
  assets.set('swagger-init.js', { type: 'application/javascript; charset=utf-8', body: Buffer.from(INIT_SCRIPT) });
  return assets;
}

/**
 * /docs (Swagger UI), /docs-json and /docs-yaml. Nest's Swagger UI on Fastify needs the
 * optional @fastify/static package, which the engine does not depend on (without it Nest
 * exits the process at boot); the UI files come from swagger-ui-dist, held in memory once read.
 * `document` may be a function: the OpenAPI document is then built at the first request for it
 * (SwaggerModule caches it), not during every start.
 */
export function setupApiDocs(app: NestFastifyApplication, document: OpenAPIObject | (() => OpenAPIObject)): void {
  SwaggerModule.setup('docs', app, document, { ui: false });
  let assets: Map<string, Asset> | undefined;
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/docs', (_request, reply) => void reply.type('text/html; charset=utf-8').send(PAGE));
  fastify.get<{ Params: { file: string } }>('/docs/:file', (request, reply) => {
    assets ??= loadAssets();
    const asset = assets.get(request.params.file);
    if (!asset) {
      const body = problem(404, 'ROUTE.NOT_FOUND', `Cannot GET ${request.url}`);
      body.instance = request.url;
      return void reply.status(404).type('application/problem+json').send(body);
    }
    void reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(asset.body);
  });
}
