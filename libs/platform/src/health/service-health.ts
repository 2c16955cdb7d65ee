import { Controller, DynamicModule, Get, HttpCode, Inject, Module, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import type { Pool } from 'pg';
import { ProblemException } from '../http/problem';
import { HealthDto } from './health.dto';
import { anyBrokerReachable, HealthRoutes, within } from './probes';

/** What a service's readiness probes. */
export interface ServiceHealthOptions {
  /** The service's own database (the relay's: the event store's). */
  pool: Pool;
  kafkaBrokers: readonly string[];
  /** How long one probe may take before it counts as down. */
  timeoutMs: number;
}

const SERVICE_HEALTH = Symbol('SERVICE_HEALTH');

/**
 * /health/live and /health/ready of a service between the store and Kafka (apps/fulfillment,
 * apps/analytics, apps/relay), in the engine's shape: live when the process answers; ready when its
 * database answers and a Kafka broker accepts connections. An internal service without tokens,
 * like its other routes: the checks carry their details (an error's message) for whoever can
 * reach it.
 */
@ApiTags('health')
@Controller('health')
class ServiceHealthController extends HealthRoutes {
  constructor(
    health: HealthCheckService,
    indicators: HealthIndicatorService,
    @Inject(SERVICE_HEALTH) private readonly options: ServiceHealthOptions,
  ) {
    super(health, indicators);
  }

  @Get('ready')
  @HttpCode(200)
  @ApiOkResponse({ type: HealthDto })
  @ApiOperation({ summary: 'Its database answers and a Kafka broker accepts connections' })
  async ready() {
    const { pool, kafkaBrokers, timeoutMs } = this.options;
    try {
      return await this.health.check([
        () => this.probe('database', () => within(timeoutMs, pool.query('select 1'), 'database')),
        () => this.probe('kafka', () => anyBrokerReachable(kafkaBrokers, timeoutMs)),
      ]);
    } catch (e) {
      if (!(e instanceof ServiceUnavailableException)) throw e;
      const { details } = e.getResponse() as { details?: Record<string, { status: string }> };
      throw new ProblemException(503, 'HEALTH.NOT_READY', 'The service is not ready', { checks: details });
    }
  }
}

@Module({})
export class ServiceHealthModule {
  /** `service`, the service's own module, with the health routes beside its routes. */
  static around(service: DynamicModule, options: ServiceHealthOptions): DynamicModule {
    return {
      module: ServiceHealthModule,
      imports: [service, TerminusModule.forRoot({ logger: false })],
      controllers: [ServiceHealthController],
      providers: [{ provide: SERVICE_HEALTH, useValue: options }],
    };
  }
}
