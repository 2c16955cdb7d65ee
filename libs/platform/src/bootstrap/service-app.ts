import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '../config/app-config';
import { ServiceHealthModule, type ServiceHealthOptions } from '../health/service-health';
import { useCompiledValidation } from '../http/compiled-validation';
import { applyHttpEdge } from '../http/edge';
import { applyInputLimits } from '../http/input-limits';
import { ProblemFilter } from '../http/problem.filter';
import { httpServerOptions } from '../http/server-limits';
import { useStructuredLogs, withLogging } from '../logging/logging.module';
import { useHttpTracing } from '../telemetry/http-tracing';

/**
 * The HTTP app of an internal service between the store and Kafka (a consumer service, the
 * relay): `service` with /health/live and /health/ready beside its routes, JSON logs, HTTP
 * tracing, the platform's edge without rate limits (docs/security.md, "Limits"), input limits,
 * validation and problem rendering. Not yet listening.
 */
export async function createServiceApp(
  config: AppConfig,
  name: string,
  service: DynamicModule,
  health: ServiceHealthOptions,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    withLogging(ServiceHealthModule.around(service, health), config, name),
    new FastifyAdapter(httpServerOptions(config.http)),
    { bufferLogs: true },
  );
  useStructuredLogs(app);
  useHttpTracing(app);
  await applyHttpEdge(app, config.http, undefined);
  applyInputLimits(app);
  useCompiledValidation(app);
  app.useGlobalFilters(new ProblemFilter());
  return app;
}
