import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from './problem';

/** Deepest nesting of arrays and objects a JSON body may have (`{"a":[1]}` is 2 deep). */
export const MAX_JSON_DEPTH = 32;

export type JsonScan =
  | { ok: true; depth: number }
  | { ok: false; problem: 'too-deep'; depth: number }
  /** `\u0000`, or a `\uD800`–`\uDFFF` escape that is not half of a surrogate pair: valid JSON text, but no PostgreSQL text or jsonb can hold it. */
  | { ok: false; problem: 'unstorable-escape'; at: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const LOWER_U = 0x75;

function hex4(text: string, at: number): number {
  if (at + 4 > text.length) return -1;
  let value = 0;
  for (let i = at; i < at + 4; i++) {
    const c = text.charCodeAt(i);
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/**
 * One pass over JSON text, before it is parsed: bracket depth outside strings (escapes
 * inside strings handled), stopping at the first bracket past `maxDepth`, and the two
 * escapes the stores cannot take. Anything else malformed is left to the parser: this only
 * looks at brackets, quotes and backslashes, so it costs one read of the text at most.
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
      else if (c === BACKSLASH) {
        if (text.charCodeAt(i + 1) !== LOWER_U) {
          i++; // \" \\ \/ \b \f \n \r \t (or garbage, which the parser refuses)
          continue;
        }
        const code = hex4(text, i + 2);
        if (code === 0) return { ok: false, problem: 'unstorable-escape', at: i };
        if (code >= 0xd800 && code <= 0xdbff) {
          const low = text.charCodeAt(i + 6) === BACKSLASH && text.charCodeAt(i + 7) === LOWER_U ? hex4(text, i + 8) : -1;
          if (low < 0xdc00 || low > 0xdfff) return { ok: false, problem: 'unstorable-escape', at: i };
          i += 11;
          continue;
        }
        if (code >= 0xdc00 && code <= 0xdfff) return { ok: false, problem: 'unstorable-escape', at: i };
        i += code < 0 ? 1 : 5;
      }
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
export function refusal(scan: Exclude<JsonScan, { ok: true }>, maxDepth = MAX_JSON_DEPTH): ProblemException {
  if (scan.problem === 'too-deep') {
    return new ProblemException(400, 'REQUEST.TOO_DEEP', `JSON bodies may nest arrays and objects at most ${maxDepth} levels deep`, { maxDepth });
  }
  return new ProblemException(400, 'REQUEST.INVALID_JSON', 'Strings may not contain \\u0000 or an unpaired surrogate escape (\\uD800-\\uDFFF)', { offset: scan.at });
}

type Done = (error: Error | null, body?: unknown) => void;

/**
 * The engine's body parsers, replacing Nest's defaults (call after NestFactory.create,
 * before init/listen; Nest then registers none of its own):
 *
 * - application/json: the depth and escape scan above, then Fastify's own JSON parser, so
 *   empty and malformed bodies keep their errors (FST_ERR_CTP_EMPTY_JSON_BODY,
 *   FST_ERR_CTP_INVALID_JSON_BODY → REQUEST.INVALID_JSON) and `__proto__` / `constructor`
 *   keys keep being refused (secure-json-parse, Fastify's onProtoPoisoning settings).
 * - application/x-www-form-urlencoded: flat key/value pairs as Nest parsed them, so such a
 *   body still reaches validation (and is refused there) instead of becoming a 415.
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
      if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return done(new ProblemException(400, 'REQUEST.INVALID_JSON', 'The body is empty but content-type is application/json'));
      if (code === 'FST_ERR_CTP_INVALID_JSON_BODY') return done(new ProblemException(400, 'REQUEST.INVALID_JSON', 'The body is not valid JSON, or sets __proto__ or constructor.prototype'));
      done(error);
    });
  });
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit }, (_request: FastifyRequest, body: Buffer, done: Done) => {
    const pairs: Record<string, string | string[]> = Object.create(null);
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) {
      const existing = pairs[key];
      if (existing === undefined) pairs[key] = value;
      else if (Array.isArray(existing)) existing.push(value);
      else pairs[key] = [existing, value];
    }
    done(null, pairs);
  });
}
