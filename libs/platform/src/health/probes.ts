import { connect } from 'node:net';
import { Get, HttpCode } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { HealthDto } from './health.dto';

/** Rejects after `ms`: a probe that hangs (a black-holed connection) counts as down, not as slow. */
export function within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Opens and closes a TCP connection: "reachable" without speaking the protocol. */
export function tcpReachable(hostPort: string, ms: number): Promise<void> {
  const i = hostPort.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)), timeout: ms });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`${hostPort} timed out`));
    });
    socket.once('error', (e) => reject(e));
  });
}

/** Up when `ping` resolves, down with the (first) error's message when it rejects. */
export async function probe(indicators: HealthIndicatorService, key: string, ping: () => Promise<unknown>): Promise<HealthIndicatorResult> {
  try {
    await ping();
    return indicators.check(key).up();
  } catch (e) {
    const error = e instanceof AggregateError ? e.errors[0] : e;
    return indicators.check(key).down({ message: (error as Error)?.message ?? String(error) });
  }
}

/** Reachable when any broker accepts a connection: a Kafka client finds the rest from it. */
export function anyBrokerReachable(brokers: readonly string[], ms: number): Promise<unknown> {
  return Promise.any(brokers.map((b) => tcpReachable(b, ms)));
}

/** The liveness route and the probe helper every Dropline health controller shares; each adds its own `ready`. */
export abstract class HealthRoutes {
  constructor(
    protected readonly health: HealthCheckService,
    protected readonly indicators: HealthIndicatorService,
  ) {}

  @Get('live')
  @HttpCode(200)
  @ApiOkResponse({ type: HealthDto })
  @ApiOperation({ summary: 'The process is up and its event loop turns' })
  live() {
    return this.health.check([async () => this.indicators.check('process').up({ uptimeSeconds: Math.round(process.uptime()) })]);
  }

  protected probe(key: string, ping: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    return probe(this.indicators, key, ping);
  }
}
