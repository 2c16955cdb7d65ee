import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { isTraceparent, linksTo, parentContext, spanContextOf, startBatchSpan } from './trace-context';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context of envelopes and messages', () => {
  it('reads a W3C traceparent, and nothing from a malformed or all-zero one', () => {
    expect(spanContextOf(TP)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    expect(spanContextOf('')).toBeUndefined();
    expect(spanContextOf(undefined)).toBeUndefined();
    expect(spanContextOf('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBeUndefined();
    expect(spanContextOf(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toBeUndefined();
    expect(spanContextOf('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01')).toBeUndefined();
  });

  it('tells a valid traceparent from one with an all-zero id, another version, uppercase or the wrong length', () => {
    expect(isTraceparent(TP)).toBe(true);
    expect(isTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')).toBe(true);
    for (const bad of [
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      `00-${'0'.repeat(32)}-${'0'.repeat(16)}-00`,
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01',
      `${TP}-extra`,
      '',
      undefined,
      null,
      42,
    ])
      expect(isTraceparent(bad)).toBe(false);
  });

  it('parents work on its traceparent (no tracer provider: the API keeps the given context on)', () => {
    const parent = parentContext(TP);
    expect(trace.getSpanContext(parent)).toEqual(spanContextOf(TP));
    expect(parentContext('garbage')).toBe(ROOT_CONTEXT);
    const span = trace.getTracer('t').startSpan('x', {}, parent);
    // The no-op tracer's span carries the parent's context: tracing off keeps the envelope's traceparent.
    expect(span.spanContext().spanId).toBe('00f067aa0ba902b7');
  });

  it('links to well-formed contexts only, at most max', () => {
    const other = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(linksTo([TP, 'bad', '', other]).map((l) => l.context.spanId)).toEqual(['00f067aa0ba902b7', 'b7ad6b7169203331']);
    expect(linksTo([TP, other], 1)).toHaveLength(1);
  });

  it('computes no links for a span that does not record (tracing off)', () => {
    const span = startBatchSpan('writer.batch', { n: 1 }, () => {
      throw new Error('links computed');
    });
    expect(span.isRecording()).toBe(false);
    span.end();
  });
});
