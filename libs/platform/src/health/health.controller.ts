import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { AppConfig } from '../config/app-config';
import type { Databases } from '../infrastructure/databases';
import { APP_CONFIG, DATABASES } from '../infrastructure/tokens';
import { ProblemException } from '../http/problem';
import { Audience, type ReadAudience } from '../auth/audience';
import { LagRegistry, lagVerdict } from './lag-registry';
import { HealthDto } from './health.dto';
import { anyBrokerReachable, HealthRoutes, within } from './probes';

type Checks = Record<string, { status: string; [detail: string]: unknown } | undefined> | undefined;

/**
 * What a check says to a caller who is not staff: up or down, nothing else. Its details (a
 * reader's lag, restarts and last error, a probe's error message) can name hosts, ports, tables
 * and event ids, so they are for an ops or analyst token (docs/security.md, "Public readiness").
 */
function statusesOnly(checks: Checks): Checks {
  if (!checks) return checks;
  return Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, check && { status: check.status }]));
}

/**
 * Liveness and readiness (terminus). Live: the process answers. Ready: both stores answer
 * within the connect timeout, no registered reader is further behind than READY_MAX_LAG_SECONDS
 * (or READY_MAX_LAG_EVENTS where the store counts events; lagVerdict), and
 * Kafka (where configured) accepts connections. A not-ready answer is a 503 problem whose
 * `checks` say which part is down.
 */
@ApiTags('health')
@Controller('health')
export class HealthController extends HealthRoutes {
  constructor(
    health: HealthCheckService,
    indicators: HealthIndicatorService,
    private readonly lags: LagRegistry,
    @Inject(DATABASES) private readonly databases: Databases,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super(health, indicators);
  }

  @Get('ready')
  @HttpCode(200)
  @ApiOkResponse({ type: HealthDto })
  @ApiOperation({
    summary: 'The stores answer, readers keep up, Kafka is reachable where configured',
    description: 'Every check says up or down; its details (lag, restarts, last error, error messages) only to an ops or analyst token.',
  })
  async ready(@Audience() audience: ReadAudience) {
    const timeout = this.config.storeConnectTimeoutMs + 500;
    const checks: Array<() => Promise<HealthIndicatorResult>> = [
      () => this.probe('eventStore', () => within(timeout, this.databases.store.readAll({ maxCount: 1 }), 'event store')),
      () => this.probe('readModels', () => within(timeout, this.databases.readModels.query('select 1'), 'read-model database')),
      ...this.lags.lagReporters().map((reporter) => async () => {
        const key = `lag:${reporter.name}`;
        try {
          const { ready, details } = lagVerdict(await within(timeout, reporter.lag(), reporter.name), this.config.readiness);
          return ready ? this.indicators.check(key).up(details) : this.indicators.check(key).down(details);
        } catch (e) {
          return this.indicators.check(key).down({ message: (e as Error).message });
        }
      }),
      ...this.lags.dependencyProbes().map((p) => () => this.probe(p.name, () => within(timeout, p.ping(), p.name))),
    ];
    if (this.config.kafkaBrokers.length > 0) {
      // Reachable when any broker accepts a connection: the client finds the rest from it.
      checks.push(() => this.probe('kafka', () => anyBrokerReachable(this.config.kafkaBrokers, timeout)));
    }
    const shown = audience === 'staff' ? (c: Checks) => c : statusesOnly;
    try {
      const result = await this.health.check(checks);
      return { ...result, info: shown(result.info), error: shown(result.error), details: shown(result.details) };
    } catch (e) {
      if (!(e instanceof ServiceUnavailableException)) throw e;
      const result = e.getResponse() as { details?: Record<string, { status: string }> };
      const storeDown = ['eventStore', 'readModels'].some((k) => result.details?.[k]?.status === 'down');
      throw new ProblemException(503, storeDown ? 'STORE.UNAVAILABLE' : 'HEALTH.NOT_READY', 'The engine is not ready', {
        checks: shown(result.details),
      });
    }
  }
}
