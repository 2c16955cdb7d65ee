import { NodeSDK, core, resources, tracing } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import type { TracingOptions } from './tracing.options';
import { markTracingStarted } from './http-tracing';

export { tracingOptions, type TracingOptions } from './tracing.options';

/**
 * Most links a span keeps: a writer batch links every command of it (maxBatchSize, 1000 by
 * default), a relay batch every event it publishes (500 by default).
 */
export const MAX_SPAN_LINKS = 1000;

/**
 * The symbol under which the Kafka publisher keeps a message's own `traceparent` (the event's
 * context) on its headers object: the kafkajs instrumentation overwrites the header with its
 * send span, and its producer hook puts the event's context back. Symbol.for, so the messaging
 * lib needs no import of this module (loading it would load the SDK).
 */
export const EVENT_TRACEPARENT = Symbol.for('dropline.event-traceparent');

function sampler(options: TracingOptions): tracing.Sampler {
  const ratio = new tracing.TraceIdRatioBasedSampler(options.samplerRatio);
  switch (options.sampler) {
    case 'always_on':
      return new tracing.AlwaysOnSampler();
    case 'always_off':
      return new tracing.AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new tracing.ParentBasedSampler({ root: new tracing.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new tracing.ParentBasedSampler({ root: ratio });
    default:
      return new tracing.ParentBasedSampler({ root: new tracing.AlwaysOnSampler() });
  }
}

/** Restores a Kafka message's own traceparent after the kafkajs instrumentation injected its send span. */
function keepEventTraceparent(_span: unknown, info: { message: { headers?: Record<string, unknown> } }): void {
  const headers = info.message.headers as (Record<string, unknown> & { [EVENT_TRACEPARENT]?: string }) | undefined;
  const own = headers?.[EVENT_TRACEPARENT];
  if (headers && own) headers.traceparent = own;
}

/**
 * Starts the OpenTelemetry SDK (traces only) with the http, pg and kafkajs instrumentations and
 * an OTLP/HTTP exporter, protobuf by default (OTEL_EXPORTER_OTLP_PROTOCOL=http/json for JSON: measured
 * 7–8 µs of CPU and ~785 bytes per span against 3–3.4 µs and ~330 bytes, docs/benchmarks.md). Must run before those modules are required: each app loads it
 * through its `tracing` preload, the first import of its main.ts. Every setting is passed
 * explicitly (no metrics or logs from the SDK, no resource detectors). Returns the SDK to shut
 * down, or undefined when tracing is off.
 */
export function startTracing(options: TracingOptions): NodeSDK | undefined {
  if (!options.enabled || !options.endpoint) return undefined;
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const exporter = options.protocol === 'http/json' ? new OtlpJsonTraceExporter({ url }) : new OtlpProtobufTraceExporter({ url });
  const sdk = new NodeSDK({
    autoDetectResources: false,
    resource: resources.resourceFromAttributes({ 'service.name': options.serviceName }),
    sampler: sampler(options),
    spanLimits: { linkCountLimit: MAX_SPAN_LINKS },
    spanProcessors: [new tracing.BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
    metricReaders: [],
    logRecordProcessors: [],
    textMapPropagator: new core.W3CTraceContextPropagator(),
    instrumentations: [
      // Outgoing calls only: the server spans come from Fastify hooks (http-tracing.ts, useHttpTracing).
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
      // Queries only inside traced work (a command batch, a relay batch, a consumer): the
      // processors' idle polling would otherwise start a trace per query.
      new PgInstrumentation({ requireParentSpan: true }),
      new KafkaJsInstrumentation({ producerHook: keepEventTraceparent }),
    ],
  });
  sdk.start();
  markTracingStarted();
  return sdk;
}
