import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyHttpOptions, FastifyInstance } from 'fastify';
import type { HttpEdgeConfig } from '../config/app-config';
import { frameworkErrorProblems } from './input-limits';
import { lazySchemaCompilers } from './lazy-schema-compilers';
import { problem, ProblemBody } from './problem';

/** Largest request line plus headers Node's parser takes (its own default, set explicitly): 431 beyond, 414 for a request line alone over it. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** How often Node looks for connections over their header or request timeout. */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1000;
/** File descriptors kept out of the connection cap: stores, logs, Kafka, the JWKS fetch. */
const RESERVED_DESCRIPTORS = 100;
/** The cap where the open-files limit cannot be read (not Linux). */
const FALLBACK_MAX_CONNECTIONS = 1000;

/**
 * Fastify options of every Dropline HTTP app: the client address from X-Forwarded-For only
 * behind a trusted proxy, the keep-alive and request timeouts, requests per socket, the header
 * size, and Node's own parser errors (431, 414, 408, 400) as problem+json. Pass to FastifyAdapter
 * and call applyConnectionLimits(app, …) before listen.
 */
export function httpServerOptions(http: HttpEdgeConfig): FastifyHttpOptions<Server> {
  return {
    trustProxy: http.trustedProxies.length > 0 ? http.trustedProxies : false,
    // A request's id is a UUID: its log lines carry it, and its commands' causation id is it (contextFromRequest).
    genReqId: () => randomUUID(),
    keepAliveTimeout: http.keepAliveTimeoutMs,
    requestTimeout: http.requestTimeoutMs,
    maxRequestsPerSocket: http.maxRequestsPerSocket,
    // Node's own answer to an HTTP/1.1 request without Host is a bare 400: requireHost answers it as a problem.
    http: { maxHeaderSize: MAX_HEADER_BYTES, connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS, requireHostHeader: false },
    clientErrorHandler: clientErrorProblem,
    frameworkErrors: frameworkErrorProblems,
    // Fastify's own 503 while closing is a bare JSON body: answerWhileClosing answers it as a problem.
    return503OnClosing: false,
    // No route declares a JSON schema: Fastify's ajv and fast-json-stringify load only if one does.
    schemaController: { compilersFactory: lazySchemaCompilers },
  };
}

/** The connection cap and the header timeout (Node server settings Fastify does not take as options). */
export function applyConnectionLimits(app: NestFastifyApplication, http: HttpEdgeConfig): { maxConnections: number } {
  const server = app.getHttpServer();
  answerNodeRefusals(app);
  const maxConnections = http.maxConnections ?? defaultMaxConnections();
  // Node closes a socket accepted over the cap at once (the 'drop' event): the file descriptors left
  // keep the stores, the logs and the connections already open working.
  server.maxConnections = maxConnections;
  server.headersTimeout = http.headersTimeoutMs;
  return { maxConnections };
}

/**
 * The two refusals Node's HTTP server makes itself with an empty body, answered as problems: an
 * `Expect` other than `100-continue` (Node's bare 417 unless the server listens for it) and an
 * HTTP/1.1 request without `Host` (Node's bare 400, turned off in httpServerOptions).
 */
function answerNodeRefusals(app: NestFastifyApplication): void {
  app.getHttpServer().on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const expect = String(request.headers.expect).slice(0, 100);
    sendProblem(
      response,
      problem(417, 'REQUEST.EXPECTATION_FAILED', `Expect: ${expect} is not supported (only 100-continue)`, { field: 'Expect' }),
    );
  });
  answerEdgeRefusals(app.getHttpAdapter().getInstance());
}

/**
 * One onRequest hook (every request passes it, after the security headers and the rate limit)
 * for what is refused before any route runs: a request arriving while the server closes — on a
 * busy keep-alive connection, or pipelined —
 * gets 503 ENGINE.SHUTTING_DOWN as a problem and `Connection: close` (Fastify's own answer,
 * return503OnClosing, is a bare JSON body), and an HTTP/1.1 request without `Host` 400.
 */
export function answerEdgeRefusals(instance: FastifyInstance): void {
  let closing = false;
  // preClose runs as close() begins, before the server stops accepting and connections drain.
  instance.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  instance.addHook('onRequest', (request, reply, done) => {
    if (closing) {
      void reply
        .code(503)
        .header('connection', 'close')
        .header('retry-after', '1')
        .type('application/problem+json')
        .send(
          problem(
            503,
            'ENGINE.SHUTTING_DOWN',
            'This instance is shutting down; retry (another instance, or this one once restarted) with the same Idempotency-Key.',
          ),
        );
      return;
    }
    if (request.headers.host !== undefined || request.raw.httpVersion !== '1.1') return done();
    void reply
      .code(400)
      .header('connection', 'close')
      .type('application/problem+json')
      .send(problem(400, 'REQUEST.MALFORMED', 'An HTTP/1.1 request needs a Host header', { field: 'Host' }));
  });
}

function sendProblem(response: ServerResponse, answer: ProblemBody): void {
  const body = JSON.stringify(answer);
  response.writeHead(answer.status, {
    connection: 'close',
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/** ¾ of the soft open-files limit less what the process needs besides sockets; FALLBACK_MAX_CONNECTIONS where it cannot be read. */
export function defaultMaxConnections(limitsFile = '/proc/self/limits'): number {
  let soft: number | undefined;
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const value = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (value !== undefined && /^\d+$/.test(value)) soft = Number(value);
    else if (value === 'unlimited') soft = 1_000_000;
  } catch {
    soft = undefined;
  }
  if (soft === undefined) return FALLBACK_MAX_CONNECTIONS;
  return Math.max(16, Math.floor(soft * 0.75) - RESERVED_DESCRIPTORS);
}

type ConnectionError = Error & { code?: string; rawPacket?: unknown };

/** What Node's parser refused, as a problem: it answers before Fastify has a request, so Nest's filters never see it. */
export function clientErrorBody(error: ConnectionError): ProblemBody {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return requestLineOverflows(error.rawPacket)
        ? problem(414, 'REQUEST.URL_TOO_LONG', `The request line is longer than the server accepts (${MAX_HEADER_BYTES} bytes)`)
        : problem(431, 'REQUEST.HEADERS_TOO_LARGE', `The request line and headers exceed ${MAX_HEADER_BYTES} bytes`);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem(408, 'REQUEST.TIMEOUT', 'The request was not received in time');
    default:
      // HPE_INVALID_METHOD, HPE_INVALID_URL, HPE_INVALID_HEADER_TOKEN, a bad chunk size…
      return problem(400, 'REQUEST.MALFORMED', 'The request is not valid HTTP/1.1');
  }
}

/** A packet that starts a request line and has no line end within the header budget: the URL alone is too long. */
function requestLineOverflows(rawPacket: unknown): boolean {
  if (!Buffer.isBuffer(rawPacket)) return false;
  const head = rawPacket.subarray(0, MAX_HEADER_BYTES).toString('latin1');
  return /^[A-Z]+ /.test(head) && !head.includes('\r\n');
}

/** Fastify's clientErrorHandler: Node's parser errors answered as problem+json, then the socket is closed. */
export function clientErrorProblem(error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = clientErrorBody(error);
  const body = JSON.stringify(answer);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${answer.status} ${answer.title}\r\n` +
        'Connection: close\r\n' +
        'Content-Type: application/problem+json\r\n' +
        'Cache-Control: no-store\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
