import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { useStrictBodyParsers } from './json-body';
import { problem } from './problem';
import { DeclaredQueryGuard } from './query-params';

/**
 * The input limits every Dropline HTTP app applies (docs/security.md, "Input limits"): JSON
 * bodies nested at most 32 deep and free of unstorable escapes, checked before parsing; no
 * query parameter a route does not declare. Call after NestFactory.create, before listen.
 */
export function applyInputLimits(app: NestFastifyApplication): void {
  useStrictBodyParsers(app);
  app.useGlobalGuards(new DeclaredQueryGuard());
}

/**
 * Fastify's `frameworkErrors` option: the URL errors its router answers before any route
 * (and so before Nest's filters) become problems too, instead of Fastify's plain JSON —
 * 400 REQUEST.INVALID_URL for a malformed percent-encoding (`/drops/%E0%A4%A`), 414
 * REQUEST.URL_TOO_LONG for a path parameter over `maxParamLength`.
 */
export function frameworkErrorProblems(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const body =
    error.code === 'FST_ERR_BAD_URL'
      ? problem(400, 'REQUEST.INVALID_URL', 'The path is not a valid URL path (malformed percent-encoding)')
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? problem(414, 'REQUEST.URL_TOO_LONG', 'A path parameter is longer than the router accepts', { title: 'URI Too Long' })
        : problem(500, 'INTERNAL', 'Unexpected error; it has been logged.');
  if (body.status >= 500) request.log.error(error);
  body.instance = request.url;
  void reply.status(body.status).header('content-type', 'application/problem+json').send(body);
}
