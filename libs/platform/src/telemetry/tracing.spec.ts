import { ConfigError } from '../config/config-error';
import { validateEnvironment } from '../config/environment';
import { startTracing, tracingOptions } from './tracing';

describe('tracing options (OTEL_* through the config module)', () => {
  it('is off without an endpoint: no SDK is started', () => {
    const options = tracingOptions(validateEnvironment({}), 'dropline-engine');
    expect(options).toEqual({
      enabled: false,
      serviceName: 'dropline-engine',
      endpoint: undefined,
      protocol: 'http/protobuf',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
    expect(startTracing(options)).toBeUndefined();
  });

  it('is on with an endpoint, and takes the service name, sampler and ratio given', () => {
    const env = validateEnvironment({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_SERVICE_NAME: 'engine-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect(tracingOptions(env, 'dropline-engine')).toEqual({
      enabled: true,
      serviceName: 'engine-eu',
      endpoint: 'http://collector:4318',
      protocol: 'http/json',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
  });

  it('stays off with OTEL_SDK_DISABLED=true even with an endpoint', () => {
    const env = validateEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' });
    expect(tracingOptions(env, 'x').enabled).toBe(false);
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://collector:4317'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector'],
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
    ['OTEL_TRACES_SAMPLER_ARG', 'half'],
    ['OTEL_SDK_DISABLED', 'maybe'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => validateEnvironment({ [name]: value })).toThrow(ConfigError);
    expect(() => validateEnvironment({ [name]: value })).toThrow(name);
  });
});
