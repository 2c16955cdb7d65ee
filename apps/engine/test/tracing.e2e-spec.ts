import { spawn, ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { createTestPostgresDatabase, requirePostgres, TestPostgresDatabase } from '../../../test/support/postgres';
import {
  describeKafka,
  isMockCluster,
  kafkaBrokers,
  recordingConsumer,
  testKafka,
  uniqueTopic,
  waitFor,
} from '../../../test/support/kafka';
import { openHotDrop, placeHot } from './support/chaos';
import { EngineProcess, freePort, startEngineProcess } from './support/engine-process';
import { startOtlpReceiver } from './support/otlp-receiver';
import { mintTestToken, testAuthEnv } from '../../../libs/platform/src/testing/test-auth';

const ROOT = path.resolve(__dirname, '../../..');
const parse = (traceparent: string) => {
  const [, traceId, spanId] = traceparent.split('-');
  return { traceId, spanId };
};

/**
 * One trace from the buyer's request to the consumer, across OS processes (OpenTelemetry does not
 * instrument modules loaded through jest's registry): the BUILT engine with its relay on the Kafka
 * cluster of the run (the kcat mock) and apps/fulfillment, both exporting to an OTLP/HTTP receiver
 * inside the test. A pre-order sent with a known traceparent yields the HTTP server span, the
 * command span (its child), the writer batch span linked to it, the relay batch span linked to the
 * stored event's context, a projection page span linked to it, and the fulfillment consumer's span in the same trace; the stored
 * envelope and the Kafka message's traceparent header carry the command span's context.
 * Without kcat the suite is skipped locally; under CI=true global setup fails the run instead.
 */
describeKafka('tracing across the engine, the relay and a consumer (OS processes)', () => {
  requirePostgres();
  const topic = uniqueTopic('tracing');
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let db: TestPostgresDatabase;
  let fulfillmentDb: TestPostgresDatabase;
  let engine: EngineProcess | undefined;
  let fulfillment: ChildProcess | undefined;
  let fulfillmentOut = '';

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    db = await createTestPostgresDatabase('tracing');
    fulfillmentDb = await createTestPostgresDatabase('tracing_ff');
    const kafka = {
      KAFKA_BROKERS: kafkaBrokers()!.join(','),
      KAFKA_TOPIC: topic,
      // Its fulfillment group of its own: other suites on the same cluster join `fulfillment`.
      KAFKA_GROUP_PREFIX: `${topic}.`,
      KAFKA_IDEMPOTENT_PRODUCER: String(!isMockCluster()),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    };
    engine = await startEngineProcess({
      EVENT_STORE: 'postgres',
      DATABASE_URL: db.url,
      LOG_LEVEL: 'error',
      RUN_CONSUMERS: 'false',
      ...kafka,
    });
    fulfillment = spawn(process.execPath, [path.join(ROOT, 'dist/apps/fulfillment/src/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        ...testAuthEnv(),
        ...kafka,
        // The engine exports with the default encoding (protobuf), the consumer with JSON: one trace, both encodings.
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        DATABASE_URL: fulfillmentDb.url,
        FULFILLMENT_PORT: String(await freePort()),
        ENGINE_URL: engine.url,
        ENGINE_SERVICE_TOKEN: mintTestToken('service', 'svc-fulfillment'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    fulfillment.stdout!.on('data', (d) => (fulfillmentOut += d));
    fulfillment.stderr!.on('data', (d) => (fulfillmentOut += d));
  }, 120_000);

  afterAll(async () => {
    fulfillment?.kill('SIGKILL');
    await engine?.stop('SIGKILL');
    receiver?.server.close();
    await db?.drop();
    await fulfillmentDb?.drop();
  }, 60_000);

  it('continues the caller trace through the command, its batch, the relay and the consumer', async () => {
    const url = engine!.url;
    const dropId = await openHotDrop(url, 10, 1);
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const customerId = `cust-${randomUUID()}`;
    const placed = await fetch(`${url}/drops/${dropId}/pre-orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
        traceparent: `00-${traceId}-${callerSpanId}-01`,
        authorization: `Bearer ${mintTestToken('customer', customerId)}`,
      },
      body: JSON.stringify({ customerId, sku: 'HOT-1', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } }),
    });
    expect(placed.status).toBe(201);
    // A second pre-order without a traceparent starts a trace of its own.
    expect((await placeHot(url, dropId, `cust-${randomUUID()}`, randomUUID()))?.status).toBe(201);

    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    const consumerSpan = () => inTrace().find((s) => s.service === 'dropline-fulfillment' && s.name === 'consume PreOrderPlaced');
    await waitFor(
      () => consumerSpan() !== undefined,
      60_000,
      () =>
        `no consumer span in trace ${traceId}; spans: ${[...new Set(receiver.spans.map((s) => `${s.service}:${s.name}`))].join(', ')}\nfulfillment: ${fulfillmentOut}`,
    );

    // The request: the HTTP server span continues the caller's span.
    const server = inTrace().find((s) => s.service === 'dropline-engine' && s.parentSpanId === callerSpanId);
    expect(server).toBeDefined();
    // The command: a child of the request, in its trace.
    const command = inTrace().find((s) => s.name.startsWith('command ') && s.parentSpanId === server!.spanId)!;
    expect(command).toBeDefined();
    expect(command.service).toBe('dropline-engine');

    // The stored envelope carries the command span's context.
    const stored = await db.pool.query<{ metadata: { traceparent: string } }>(
      `select metadata from events where type = 'PreOrderPlaced' and data->>'customerId' = $1`,
      [customerId],
    );
    expect(stored.rows).toHaveLength(1);
    expect(parse(stored.rows[0].metadata.traceparent)).toEqual({ traceId, spanId: command.spanId });

    // The writer batch: a trace of its own, linked to the command span.
    await waitFor(
      () => receiver.spans.some((s) => s.name === 'writer.batch' && s.links.some((l) => l.spanId === command.spanId)),
      30_000,
      () => 'no writer.batch span linked to the command',
    );
    const batch = receiver.spans.find((s) => s.name === 'writer.batch' && s.links.some((l) => l.spanId === command.spanId))!;
    expect(batch.links.find((l) => l.spanId === command.spanId)!.traceId).toBe(traceId);
    // The relay batch: linked to the event's context (the command span).
    await waitFor(
      () =>
        receiver.spans.some((s) => s.name === 'relay.publish' && s.links.some((l) => l.traceId === traceId && l.spanId === command.spanId)),
      30_000,
      () => 'no relay.publish span linked to the event',
    );

    // A projection page that applied the event links to its context.
    await waitFor(
      () =>
        receiver.spans.some(
          (s) => s.name === 'projection.page' && s.links.some((l) => l.traceId === traceId && l.spanId === command.spanId),
        ),
      30_000,
      () => 'no projection.page span linked to the event',
    );

    // The Kafka message's traceparent header is its own event's context, not the relay's send span.
    const kafka = testKafka('tracing-check');
    const group = await recordingConsumer(kafka, topic, `${topic}.check`);
    try {
      await waitFor(
        () => group.received.some((r) => r.message.headers?.traceparent?.toString().includes(traceId) ?? false),
        30_000,
        () =>
          `no message with a traceparent of trace ${traceId}: ${group.received.map((r) => r.message.headers?.traceparent?.toString()).join(', ')}`,
      );
      const message = group.received.find((r) => r.message.headers?.traceparent?.toString().includes(traceId))!;
      expect(parse(message.message.headers!.traceparent!.toString())).toEqual({ traceId, spanId: command.spanId });
    } finally {
      await group.stop();
    }

    // The consumer's handling continues the event's trace.
    expect(consumerSpan()!.traceId).toBe(traceId);
    expect(consumerSpan()!.attributes['dropline.consumer']).toBe('fulfillment');

    // Each service exported in the encoding it was configured with: the engine the default.
    expect([...receiver.encodings.get('dropline-engine')!]).toEqual(['application/x-protobuf']);
    expect([...receiver.encodings.get('dropline-fulfillment')!]).toEqual(['application/json']);
  }, 180_000);
});
