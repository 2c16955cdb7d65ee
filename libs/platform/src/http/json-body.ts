import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from './problem';

/** Deepest nesting of arrays and objects a JSON body may have (`{"a":[1]}` is 2 deep). */
export const MAX_JSON_DEPTH = 32;

export type JsonScan = { ok: true; depth: number } | { ok: false; problem: 'too-deep'; depth: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * One pass over JSON text, before it is parsed: bracket depth outside strings (escapes
 * inside strings handled), stopping at the first bracket past `maxDepth`. Anything else
 * malformed is left to the parser: this only looks at brackets, quotes and backslashes, so
 * it costs one read of the text at most. (A `\u0000` or unpaired surrogate escape is valid
 * JSON: the validation pipe refuses it after parsing, naming the field.)
 */
export function scanJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonScan {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === QUOTE) inString = false;
      else if (c === BACKSLASH) i++; // the escaped character can be neither a quote that ends the string nor a bracket
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      if (depth > maxDepth) return { ok: false, problem: 'too-deep', depth };
      if (depth > deepest) deepest = depth;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth > 0) depth--;
    }
  }
  return { ok: true, depth: deepest };
}

/** The error a refused body answers with (rendered by the ProblemFilter). */
export function refusal(_scan: Exclude<JsonScan, { ok: true }>, maxDepth = MAX_JSON_DEPTH): ProblemException {
  return new ProblemException(400, 'REQUEST.TOO_DEEP', `JSON bodies may nest arrays and objects at most ${maxDepth} levels deep`, {
    maxDepth,
  });
}

type Done = (error: Error | null, body?: unknown) => void;

/**
 * The engine's body parsers, replacing Nest's defaults (call after NestFactory.create,
 * before init/listen; Nest then registers none of its own):
 *
 * - application/json: the depth scan above, then Fastify's own JSON parser, so
 *   empty and malformed bodies keep their errors (FST_ERR_CTP_EMPTY_JSON_BODY,
 *   FST_ERR_CTP_INVALID_JSON_BODY → REQUEST.INVALID_JSON) and `__proto__` / `constructor`
 *   keys keep being refused (secure-json-parse, Fastify's onProtoPoisoning settings).
 * - nothing else: a form (application/x-www-form-urlencoded, multipart/form-data), text/plain
 *   or any other body is refused with 415 REQUEST.UNSUPPORTED_MEDIA_TYPE (no parser, so Fastify
 *   answers FST_ERR_CTP_INVALID_MEDIA_TYPE) instead of reaching validation.
 *
 * The size limit is the Fastify instance's bodyLimit, checked while the body streams in.
 */
export function useStrictBodyParsers(app: NestFastifyApplication, maxDepth = MAX_JSON_DEPTH): void {
  const fastify = app.getHttpAdapter().getInstance();
  const { bodyLimit, onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parseJson = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  app.useBodyParser('application/json', { bodyLimit }, (request: FastifyRequest, body: Buffer, done: Done) => {
    const text = body.toString('utf8');
    const scan = scanJson(text, maxDepth);
    if (!scan.ok) return done(refusal(scan, maxDepth));
    // Fastify's own parser (secure-json-parse); its errors become problems here, because Nest
    // turns a Fastify error into a bare HttpException that loses the FST_ERR_* code.
    parseJson(request, text, (error, parsed) => {
      if (!error) return done(null, parsed);
      const code = (error as { code?: unknown }).code;
      if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
        return done(new ProblemException(400, 'REQUEST.INVALID_JSON', 'The body is empty but content-type is application/json'));
      if (code === 'FST_ERR_CTP_INVALID_JSON_BODY')
        return done(
          new ProblemException(400, 'REQUEST.INVALID_JSON', 'The body is not valid JSON, or sets __proto__ or constructor.prototype'),
        );
      done(error);
    });
  });
  // Nothing but JSON: Fastify's own text/plain parser goes too, so a form, a plain-text or a
  // multipart body is 415 REQUEST.UNSUPPORTED_MEDIA_TYPE before any route runs.
  fastify.removeContentTypeParser('text/plain');
}
