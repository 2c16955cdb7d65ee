import {
  Controller,
  DynamicModule,
  Get,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Res,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { ConfigError } from '../config/config-error';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../config/app-config';
import type { Databases } from '../infrastructure/databases';
import { LeaseFactory } from '../infrastructure/lease-factory';
import { APP_CONFIG, DATABASES } from '../infrastructure/tokens';
import { Metrics } from './metrics';
import { leaseCollector, supervisorCollector } from './metrics.collectors';

/** `GET /metrics` on the app's own port: the `ops` or `metrics` role (route-policy.ts). */
@ApiTags('health')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (text format): ops or metrics role' })
  @ApiProduces(Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOkResponse({
    description: 'Every metric in the Prometheus text exposition format (docs/operations.md, "Every metric"); not cached',
    content: {
      [Registry.PROMETHEUS_CONTENT_TYPE]: {
        schema: { type: 'string', example: 'dropline_commands_total{type="PlacePreOrder",outcome="accepted",code=""} 42' },
      },
    },
  })
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.metrics.scrape();
    await reply.header('content-type', this.metrics.contentType).header('cache-control', 'no-store').send(body);
  }
}

/**
 * The optional token-free listener (METRICS_PORT on METRICS_HOST, 127.0.0.1 by default): answers
 * `GET /metrics` and 404 to anything else. Keep it on a private interface: whoever reaches it
 * reads the metrics without a token.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | undefined;
  private readonly dropCollectors: Array<() => void> = [];

  constructor(
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASES) private readonly databases: Databases,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.dropCollectors.push(
      this.metrics.onCollect(supervisorCollector(this.metrics, this.databases.store)),
      this.metrics.onCollect(leaseCollector(this.metrics, () => new LeaseFactory(this.config, this.databases).status())),
    );
    const { port, host } = this.config.metrics;
    if (port === undefined) return;
    const server = await serveMetrics(this.metrics, port, host);
    this.server = server;
    new Logger('Metrics').log(`Prometheus metrics on http://${host}:${this.address()?.port}/metrics (no token)`);
  }

  /** Where the token-free listener is bound; undefined without METRICS_PORT. */
  address(): AddressInfo | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address : undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const drop of this.dropCollectors.splice(0)) drop();
    const server = this.server;
    this.server = undefined;
    await closeMetrics(server);
  }
}

/**
 * Starts a token-free listener for `metrics` on `host:port` (`GET`/`HEAD /metrics`; 404 to
 * anything else). The engine's MetricsListener and the standalone relay and consumer services use it.
 */
export async function serveMetrics(metrics: Metrics, port: number, host: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if ((request.method !== 'GET' && request.method !== 'HEAD') || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.scrape().then(
      (body) =>
        response
          .writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
          .end(request.method === 'HEAD' ? undefined : body),
      (e: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(e)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, port, host)));
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** A listener that cannot start names the variable to fix (a ConfigError: one line, exit 2). */
function listenError(e: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (e.code) {
    case 'EADDRINUSE':
    case 'EACCES':
      return new ConfigError('METRICS_PORT', `${port} cannot be listened on (${e.code})`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EADDRNOTAVAIL':
      return new ConfigError('METRICS_HOST', `${JSON.stringify(host)} is not an address of this machine (${e.code})`);
    default:
      return e;
  }
}

/** Closes a listener started by serveMetrics. */
export function closeMetrics(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

/**
 * Prometheus metrics of one app: the global `Metrics` registry (any module may inject it to
 * count or to add a scrape-time collector), `GET /metrics`, and the METRICS_PORT listener.
 */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(options: { databases: Databases; metrics?: Metrics }): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [
        { provide: Metrics, useValue: options.metrics ?? new Metrics() },
        { provide: DATABASES, useValue: options.databases },
        MetricsListener,
      ],
      exports: [Metrics, MetricsListener],
    };
  }
}

/**
 * Times every response by its route pattern (`routeOptions.url`, e.g. `/drops/:dropId`; never the
 * raw URL, so ids never become labels) and status. Fastify's own `elapsedTime` is the duration.
 */
export function observeHttp(app: NestFastifyApplication, metrics: Metrics): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      metrics.httpRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
}
