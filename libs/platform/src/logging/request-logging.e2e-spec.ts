import 'reflect-metadata';
import { Body, Controller, Get, Logger, Module, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { AuthModule } from '../auth/auth.module';
import { setUpAuth } from '../auth/auth-setup';
import { loadConfig } from '../config/app-config';
import { applyHttpEdge } from '../http/edge';
import { applyInputLimits } from '../http/input-limits';
import { ProblemFilter } from '../http/problem.filter';
import { httpServerOptions } from '../http/server-limits';
import { ManualClock } from '../infrastructure/clock';
import { contextFromRequest } from '../infrastructure/request-context';
import { mintTestToken, testAuthEnv } from '../testing/test-auth';
import { useStructuredLogs, withLogging } from './logging.module';

/** Stands in for the engine's pre-order and drop routes: logs from inside the request, and fails on demand. */
@Controller()
class ProbeController {
  private readonly logger = new Logger('Probe');

  @Post('drops/:dropId/pre-orders')
  place(@Body() body: { fail?: boolean }, @Req() request: FastifyRequest): { causationId: string | null; correlationId: string } {
    this.logger.log('placing');
    if (body?.fail) throw new Error('probe failure');
    const context = contextFromRequest(request, new ManualClock(new Date('2026-12-01T10:00:00Z')));
    return { causationId: context.causationId, correlationId: context.correlationId };
  }

  @Get('drops/:dropId')
  read(): Record<string, never> {
    this.logger.log('reading');
    return {};
  }
}

/**
 * The request side of the log contract (docs/operations.md, "Logs"), on an app built like the
 * engine (withLogging, the HTTP edge, input limits, the ProblemFilter): a request's lines carry its
 * request id, correlation id, actor and drop id; its completed line is debug (5xx error) with
 * method, URL, status and duration; the request id is the causation id of what it issues.
 */
/** An engine-like app on a free port at this LOG_LEVEL, its lines parsed into `lines`. */
async function startProbe(logLevel: 'log' | 'debug', lines: Array<Record<string, any>>): Promise<NestFastifyApplication> {
  const config = loadConfig({ PORT: '0', LOG_LEVEL: logLevel, LOG_FORMAT: 'json', ...testAuthEnv() });
  const auth = await setUpAuth(config);
  @Module({ imports: [AuthModule.forRoot(auth)], controllers: [ProbeController] })
  class ProbeModule {}
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, any>) };
  const app = await NestFactory.create<NestFastifyApplication>(
    withLogging({ module: ProbeModule }, config, 'probe', destination),
    new FastifyAdapter(httpServerOptions(config.http)),
    { bufferLogs: true },
  );
  useStructuredLogs(app);
  await applyHttpEdge(app, config.http, auth.verifier);
  applyInputLimits(app);
  app.useGlobalFilters(new ProblemFilter());
  await app.listen(0, '127.0.0.1');
  return app;
}

const placeAt = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/drops/drop-1/pre-orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${mintTestToken('till', 'kiosk-1')}`, ...headers },
    body: JSON.stringify(body),
  });

describe('request logs at LOG_LEVEL=log', () => {
  const lines: Array<Record<string, any>> = [];
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await startProbe('log', lines);
  });
  afterAll(() => app?.close());

  it('write nothing of their own for a served request, and the error lines of a 5xx', async () => {
    const url = await app.getUrl();
    const before = lines.length;
    expect((await placeAt(url, { channel: 'kiosk' })).status).toBe(201);
    expect(lines.slice(before).map((l) => l.message)).toEqual(['placing']);
    const failed = lines.length;
    expect((await placeAt(url, { channel: 'kiosk', fail: true })).status).toBe(500);
    expect(lines.slice(failed).map((l) => [l.level, l.message.split(':')[0], l.dropId, l.actor])).toEqual([
      ['info', 'placing', 'drop-1', 'kiosk-1'],
      ['error', 'POST /drops/drop-1/pre-orders → 500 INTERNAL', 'drop-1', 'kiosk-1'],
      ['error', 'POST /drops/drop-1/pre-orders 500', 'drop-1', 'kiosk-1'],
    ]);
  });
});

describe('request logs', () => {
  const lines: Array<Record<string, any>> = [];
  let app: NestFastifyApplication;
  let url: string;
  beforeAll(async () => {
    app = await startProbe('debug', lines);
    url = await app.getUrl();
  });
  afterAll(() => app?.close());

  const place = (body: unknown, headers: Record<string, string> = {}) => placeAt(url, body, headers);
  const ofRequest = (requestId: string) => lines.filter((l) => l.requestId === requestId);

  it('carries request id, correlation id, actor and drop id on the lines of a request; completed at debug', async () => {
    const res = await place({ channel: 'kiosk' }, { 'x-correlation-id': 'corr-probe-1' });
    expect(res.status).toBe(201);
    const { causationId, correlationId } = (await res.json()) as { causationId: string; correlationId: string };
    expect(correlationId).toBe('corr-probe-1');
    expect(causationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const mine = ofRequest(causationId);
    expect(mine).toEqual([
      {
        level: 'info',
        time: expect.any(String),
        service: 'probe',
        requestId: causationId,
        correlationId: 'corr-probe-1',
        actor: 'kiosk-1',
        dropId: 'drop-1',
        context: 'Probe',
        message: 'placing',
      },
      {
        level: 'debug',
        time: expect.any(String),
        service: 'probe',
        requestId: causationId,
        correlationId: 'corr-probe-1',
        actor: 'kiosk-1',
        dropId: 'drop-1',
        req: { method: 'POST', url: '/drops/drop-1/pre-orders' },
        res: { statusCode: 201 },
        responseTime: expect.any(Number),
        message: 'POST /drops/drop-1/pre-orders 201',
      },
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/Bearer|eyJ/);
  });

  it('uses the request id as correlation id when the caller sends none (or a malformed one)', async () => {
    const res = await place({ channel: 'kiosk' }, { 'x-correlation-id': 'not a safe id!' });
    const { causationId, correlationId } = (await res.json()) as { causationId: string; correlationId: string };
    expect(correlationId).toBe(causationId);
    expect(ofRequest(causationId).map((l) => l.correlationId)).toEqual([causationId, causationId]);
  });

  it('logs a 5xx at error with its error, and the completed line at error', async () => {
    const before = lines.length;
    const res = await place({ channel: 'kiosk', fail: true }, { 'x-correlation-id': 'corr-probe-500' });
    expect(res.status).toBe(500);
    expect((await res.json()) as unknown).toMatchObject({ status: 500, code: 'INTERNAL' });
    const mine = lines.slice(before);
    const requestId = mine[0]?.requestId as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(mine.map((l) => [l.level, l.context, l.message?.split(':')[0], l.requestId, l.correlationId, l.actor, l.dropId])).toEqual([
      ['info', 'Probe', 'placing', requestId, 'corr-probe-500', 'kiosk-1', 'drop-1'],
      ['error', 'HTTP', 'POST /drops/drop-1/pre-orders → 500 INTERNAL', requestId, 'corr-probe-500', 'kiosk-1', 'drop-1'],
      ['error', undefined, 'POST /drops/drop-1/pre-orders 500', requestId, 'corr-probe-500', 'kiosk-1', 'drop-1'],
    ]);
    expect(mine[2]).toMatchObject({
      req: { method: 'POST', url: '/drops/drop-1/pre-orders' },
      res: { statusCode: 500 },
      err: { type: 'Error', message: 'failed with status code 500' },
    });
  });

  it('leaves out the actor of an anonymous public read, and keeps the drop id', async () => {
    const before = lines.length;
    expect((await fetch(`${url}/drops/drop-2`)).status).toBe(200);
    const mine = lines.slice(before);
    expect(mine.map((l) => [l.level, l.message, l.dropId, 'actor' in l, typeof l.requestId, l.correlationId === l.requestId])).toEqual([
      ['info', 'reading', 'drop-2', false, 'string', true],
      ['debug', 'GET /drops/drop-2 200', 'drop-2', false, 'string', true],
    ]);
  });

  it('logs a refused request (401) at debug, with its drop id and no actor', async () => {
    const before = lines.length;
    const res = await fetch(`${url}/drops/drop-3/pre-orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    const mine = lines.slice(before);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 'debug',
      message: 'POST /drops/drop-3/pre-orders 401',
      res: { statusCode: 401 },
      dropId: 'drop-3',
    });
    expect(mine[0].actor).toBeUndefined();
  });
});
