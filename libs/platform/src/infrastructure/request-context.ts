import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { context, trace } from '@opentelemetry/api';
import type { Actor } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import type { Clock } from './clock';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The W3C traceparent for work that did not arrive with one: the active span's when tracing is
 * on (the HTTP instrumentation's server span, which started the trace), else a fresh one.
 */
export function newTraceparent(): string {
  const active = trace.getSpan(context.active())?.spanContext();
  if (active && trace.isSpanContextValid(active))
    return `00-${active.traceId}-${active.spanId}-${(active.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/**
 * The envelope context of an HTTP command: the caller's correlation id and trace are
 * kept when well-formed (malformed ones are replaced, never rejected: they are
 * diagnostics, not input), the request id becomes the causation id.
 */
export function contextFromRequest(request: FastifyRequest, clock: Clock, actor = 'anonymous'): CommandContext {
  const header = (name: string): string | undefined => {
    const v = request.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const requestId = randomUUID();
  const correlation = header('x-correlation-id');
  const traceparent = header('traceparent');
  return {
    actor: (request as { user?: { sub?: string } }).user?.sub ?? actor,
    correlationId: correlation && SAFE_ID.test(correlation) ? correlation : requestId,
    causationId: requestId,
    traceparent: traceparent && TRACEPARENT.test(traceparent) ? traceparent : newTraceparent(),
    occurredAt: clock.now().toISOString(),
  };
}

/** Context for commands the engine issues itself (scheduler, reactors). */
export function systemContext(component: string, clock: Clock, causationId: string | null = null): CommandContext {
  const id = randomUUID();
  return {
    actor: `system:${component}`,
    correlationId: id,
    causationId,
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
