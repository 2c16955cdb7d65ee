import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { bearer } from '../../../libs/platform/src/testing/test-auth';
import { openHotDrop, tryFetch } from './support/chaos';
import { EngineProcess, startEngineProcess } from './support/engine-process';

/** Every line the process wrote, parsed: JSON lines throw here if one is not JSON. */
function jsonLines(output: string): Array<Record<string, any>> {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, any>;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

/**
 * Structured logs (docs/operations.md, "Logs, readiness and shutdown") of the BUILT engine with
 * stdout piped (not a terminal): JSON lines with level, message, request and correlation ids,
 * actor and drop id; the token never appears; Nest's route table is off; the development engine
 * shows its tokens once, as one line.
 */
describe('structured logs (built engine, stdout not a terminal)', () => {
  const dirs: string[] = [];
  let engine: EngineProcess | undefined;
  afterEach(async () => {
    await engine?.stop('SIGKILL');
    engine = undefined;
  });
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const dataDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dropline-logs-'));
    dirs.push(dir);
    return dir;
  };

  it('writes JSON lines whose request lines carry correlation id, actor and drop id; never the token; no route table', async () => {
    engine = await startEngineProcess({ DATA_DIR: dataDir(), LOG_LEVEL: 'debug' });
    const dropId = await openHotDrop(engine.url, 10, 1);
    const correlationId = `corr-${randomUUID()}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'idempotency-key': 'k-1',
      'x-correlation-id': correlationId,
      ...bearer('customer', 'c-1'),
    };
    const placed = await tryFetch(`${engine.url}/drops/${dropId}/pre-orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ customerId: 'c-1', sku: 'HOT-1', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } }),
    });
    expect(placed?.status).toBe(201);
    await engine.stop('SIGTERM');

    const lines = jsonLines(engine.output());
    for (const line of lines) {
      expect(typeof line.level).toBe('string');
      expect(typeof line.message).toBe('string');
      expect(line.service).toBe('engine');
    }
    const request = lines.find((l) => l.correlationId === correlationId && l.req?.method === 'POST');
    expect(request).toMatchObject({
      level: 'debug',
      actor: 'c-1',
      dropId,
      req: { method: 'POST', url: `/drops/${dropId}/pre-orders` },
      res: { statusCode: 201 },
      message: `POST /drops/${dropId}/pre-orders 201`,
    });
    expect(request!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // Without an OpenTelemetry SDK there is no active span: no ids rather than made-up ones.
    expect(request!.traceId).toBeUndefined();
    const token = headers.authorization.replace('Bearer ', '');
    expect(engine.output()).not.toContain(token);
    expect(engine.output()).not.toMatch(/Bearer /);
    expect(engine.output()).not.toMatch(/Mapped \{/);
    expect(lines.some((l) => l.context === 'Engine' && /listening on/.test(l.message))).toBe(true);
    expect(lines.filter((l) => l.devTokens)).toHaveLength(0);
  }, 90_000);

  it('logs the route table with LOG_ROUTES=true, and drops lines below LOG_LEVEL', async () => {
    engine = await startEngineProcess({ DATA_DIR: dataDir(), LOG_LEVEL: 'warn', LOG_ROUTES: 'true' });
    await engine.stop('SIGTERM');
    expect(jsonLines(engine.output()).every((l) => l.level !== 'info' && l.level !== 'debug')).toBe(true);
    engine = await startEngineProcess({ DATA_DIR: dataDir(), LOG_LEVEL: 'log', LOG_ROUTES: 'true' });
    await engine.stop('SIGTERM');
    expect(jsonLines(engine.output()).some((l) => /^Mapped \{\/drops, POST\} route$/.test(l.message))).toBe(true);
  }, 90_000);

  it('the development engine shows its tokens once per start: one JSON line, or one marked block with LOG_FORMAT=pretty', async () => {
    const noKey = { JWT_SECRET: '', JWT_ISSUER: '', JWT_AUDIENCE: '' };
    const dir = dataDir();
    engine = await startEngineProcess({ DATA_DIR: dir, LOG_LEVEL: 'warn', ...noKey });
    await engine.stop('SIGTERM');
    const withTokens = jsonLines(engine.output()).filter((l) => l.devTokens);
    expect(withTokens).toHaveLength(1);
    expect(Object.keys(withTokens[0].devTokens).sort()).toEqual(['analyst', 'customer', 'metrics', 'ops', 'service', 'till']);

    engine = await startEngineProcess({ DATA_DIR: dir, LOG_LEVEL: 'warn', LOG_FORMAT: 'pretty', ...noKey });
    await engine.stop('SIGTERM');
    const out = engine.output();
    expect(out.match(/BEGIN DROPLINE DEVELOPMENT TOKENS/g)).toHaveLength(1);
    expect(out.match(/END DROPLINE DEVELOPMENT TOKENS/g)).toHaveLength(1);
    const block = out.slice(out.indexOf('----- BEGIN'), out.indexOf('TOKENS -----', out.indexOf('----- END')));
    expect(block.match(/Authorization: Bearer /g)).toHaveLength(6);
  }, 90_000);
});
