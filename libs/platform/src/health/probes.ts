import { connect } from 'node:net';
import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

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
