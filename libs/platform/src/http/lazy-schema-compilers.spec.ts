import Fastify from 'fastify';
import { lazySchemaCompilers } from './lazy-schema-compilers';

describe('lazySchemaCompilers', () => {
  it('compiles a route that does declare JSON schemas as Fastify’s own compilers would: ajv validates, fast-json-stringify serialises', async () => {
    const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers } });
    app.post(
      '/n',
      {
        schema: {
          body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
          response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } },
        },
      },
      async (request) => ({ n: (request.body as { n: number }).n, secret: 'not in the schema' }),
    );
    try {
      const refused = await app.inject({ method: 'POST', url: '/n', payload: { n: 'one' } });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'FST_ERR_VALIDATION', message: 'body/n must be integer' });
      const served = await app.inject({ method: 'POST', url: '/n', payload: { n: 1 } });
      expect({ status: served.statusCode, body: served.body }).toEqual({ status: 200, body: '{"n":1}' });
    } finally {
      await app.close();
    }
  });
});
