import type { EnvironmentVariables, OtlpProtocol, TraceSamplerName } from '../config/environment';

// Apart from tracing.ts so that deciding whether tracing is on loads no OpenTelemetry SDK: an app
// that runs without an OTLP endpoint never requires it (tracing-preload.ts).

/** What the tracing bootstrap needs, read and validated by the config module. */
export interface TracingOptions {
  /** Off when OTEL_SDK_DISABLED is set or no OTLP endpoint is configured: no SDK, no exporter, no cost. */
  enabled: boolean;
  serviceName: string;
  /** The OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces`. */
  endpoint: string | undefined;
  /** How the spans are encoded: protobuf (the specification's default) or JSON. */
  protocol: OtlpProtocol;
  sampler: TraceSamplerName;
  samplerRatio: number;
}

/** The tracing options of one app, from the validated environment. */
export function tracingOptions(env: EnvironmentVariables, defaultServiceName: string): TracingOptions {
  return {
    enabled: !env.OTEL_SDK_DISABLED && env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined,
    serviceName: env.OTEL_SERVICE_NAME ?? defaultServiceName,
    endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL,
    sampler: env.OTEL_TRACES_SAMPLER,
    samplerRatio: env.OTEL_TRACES_SAMPLER_ARG,
  };
}
