import { randomFillSync, randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { context, trace } from '@opentelemetry/api';
import type { Actor } from '@dropline/domain';
import { isTraceparent } from '@dropline/event-store';
import type { CommandContext } from '@dropline/event-sourcing';
import type { Clock } from './clock';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The caller's correlation id when well-formed (a diagnostic: malformed ones are replaced, never rejected). */
export function safeCorrelationId(value: unknown): string | undefined {
  return typeof value === 'string' && SAFE_ID.test(value) ? value : undefined;
}

/**
 * The W3C traceparent for work that did not arrive with one: the active span's when tracing is
 * on (the HTTP instrumentation's server span, which started the trace), else a fresh one.
 */
export function newTraceparent(): string {
  const active = trace.getSpan(context.active())?.spanContext();
  if (active && trace.isSpanContextValid(active))
    return `00-${active.traceId}-${active.spanId}-${(active.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  const ids = randomIds();
  return `00-${ids.slice(0, 32)}-${ids.slice(32)}-01`;
}

/** Random bytes for a trace id (16) and a span id (8), drawn 128 at a time. */
const ID_BYTES = 24;
const idPool = Buffer.alloc(ID_BYTES * 128);
let idOffset = idPool.length;

/**
 * 48 random hex digits: a trace id and a span id. From a pool refilled by one randomFillSync
 * per 128 ids, as node:crypto's randomUUID does for UUIDs: two randomBytes calls per id (each a
 * fresh Buffer and a trip into OpenSSL) were a visible share of a command's CPU without tracing.
 */
function randomIds(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const hex = idPool.toString('hex', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return hex;
}

/**
 * The envelope context of an HTTP command: the caller's correlation id and trace are
 * kept when well-formed (malformed ones — a traceparent with an all-zero id included — are
 * replaced, never rejected: they are diagnostics, not input), the request id becomes the
 * causation id.
 */
export function contextFromRequest(request: FastifyRequest, clock: Clock, actor = 'anonymous'): CommandContext {
  const header = (name: string): string | undefined => {
    const v = request.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  // Fastify's request id (a UUID, httpServerOptions), which the request's log lines carry: its lines and its events share ids.
  const requestId = typeof request.id === 'string' && UUID.test(request.id) ? request.id : randomUUID();
  const correlation = header('x-correlation-id');
  const traceparent = header('traceparent');
  return {
    actor: (request as { user?: { sub?: string } }).user?.sub ?? actor,
    correlationId: correlation && SAFE_ID.test(correlation) ? correlation : requestId,
    causationId: requestId,
    traceparent: isTraceparent(traceparent) ? traceparent : newTraceparent(),
    occurredAt: clock.now().toISOString(),
  };
}

/** The event a system command reacts to: named as its causation, its correlation kept. */
export interface CauseRef {
  eventId: string;
  correlationId: string;
}

/**
 * Context for commands the engine issues itself (scheduler, reactors). With a `cause` the command's
 * events name it as their causation and keep its correlation id; without one (nothing caused it but
 * the component itself) they start a correlation of their own.
 */
export function systemContext(component: string, clock: Clock, cause: CauseRef | null = null): CommandContext {
  return {
    actor: `system:${component}`,
    correlationId: cause?.correlationId ?? randomUUID(),
    causationId: cause?.eventId ?? null,
    traceparent: newTraceparent(),
    occurredAt: clock.now().toISOString(),
  };
}

/**
 * The caller as a command's actor: the verified token's subject and roles. A request
 * without a verified caller acts as nobody (no roles), which owns nothing.
 */
export function actorFromRequest(request: FastifyRequest): Actor {
  const user = (request as { user?: { sub?: unknown; roles?: unknown } }).user;
  const subject = typeof user?.sub === 'string' ? user.sub : 'anonymous';
  const roles = Array.isArray(user?.roles) ? user.roles.filter((r): r is string => typeof r === 'string') : [];
  return { subject, roles };
}
