import { Attributes, context, Context, Link, ROOT_CONTEXT, Span, SpanContext, trace, TraceFlags } from '@opentelemetry/api';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);

/**
 * The tracer of Dropline's own spans (commands, writer batches, relay batches, consumer
 * handling, projection pages). Without the SDK started (no OTLP endpoint) it is the API's no-op
 * tracer: a span costs an object and carries its parent's context on, so a stored envelope keeps
 * the traceparent it was given.
 */
export const droplineTracer = () => trace.getTracer('dropline');

/**
 * Whether `value` is a valid W3C traceparent of version 00: lowercase hex, and neither the trace
 * id nor the parent id all zeros (W3C Trace Context: such a header is invalid, and a tracer
 * drops it). A fixed-offset check, no match array: every command and every message checks one.
 */
export function isTraceparent(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    TRACEPARENT.test(value) &&
    value.slice(3, 35) !== INVALID_TRACE_ID &&
    value.slice(36, 52) !== INVALID_SPAN_ID
  );
}

/** The span context a W3C traceparent names (remote), or undefined when it is missing or invalid (isTraceparent). */
export function spanContextOf(traceparent: string | undefined | null): SpanContext | undefined {
  if (!isTraceparent(traceparent)) return undefined;
  return {
    traceId: traceparent.slice(3, 35),
    spanId: traceparent.slice(36, 52),
    traceFlags: parseInt(traceparent.slice(53, 55), 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
}

/** The W3C traceparent of a span. */
export function traceparentOf(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * The parent of a span for work carrying `traceparent`: the active context when its span is of
 * the same trace (the HTTP server span the instrumentation continued from the same header),
 * otherwise the traceparent itself; a fresh root when there is neither.
 */
export function parentContext(traceparent: string | undefined | null): Context {
  const remote = spanContextOf(traceparent);
  const active = context.active();
  const activeSpan = trace.getSpan(active)?.spanContext();
  if (activeSpan && trace.isSpanContextValid(activeSpan) && (!remote || activeSpan.traceId === remote.traceId)) return active;
  return remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
}

/** Links to the contexts of `traceparents` (malformed ones left out), at most `max`. */
export function linksTo(traceparents: Iterable<string | undefined | null>, max = Number.MAX_SAFE_INTEGER): Link[] {
  const links: Link[] = [];
  for (const t of traceparents) {
    if (links.length >= max) break;
    const c = spanContextOf(t);
    if (c) links.push({ context: c });
  }
  return links;
}

/** Runs `fn` with `span` active (the spans of pg, kafkajs and http calls inside become its children). */
export function withSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(ROOT_CONTEXT, span), fn);
}

/**
 * A span that is the root of its own trace (a batch or a page carrying the work of many
 * requests), linked to the contexts of `traceparents` (at most `maxLinks`). The links are only
 * computed for a recording span: with tracing off or the batch not sampled, they cost nothing.
 */
export function startBatchSpan(
  name: string,
  attributes: Attributes,
  traceparents: () => Iterable<string | undefined | null>,
  maxLinks?: number,
): Span {
  const span = droplineTracer().startSpan(name, { root: true, attributes });
  if (span.isRecording()) span.addLinks(linksTo(traceparents(), maxLinks));
  return span;
}
