import { dropDecider, DropCommand, DropDefinition, dropStreamName, preOrderIdFor } from '@dropline/domain';
import { ensureEventStoreSchema, PostgresEventStore, spanContextOf } from '@dropline/event-store';
import { node, tracing } from '@opentelemetry/sdk-node';
import { context, trace } from '@opentelemetry/api';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { AggregateWriter } from './aggregate-writer';
import { CommandContext } from './envelope';
import { dropEventSchema } from './testing/drop-event-schema';

const schema = dropEventSchema;
const NOW = '2026-12-02T10:00:00Z';
const definition: DropDefinition = {
  name: 'Hot drop',
  currency: 'GBP',
  channels: ['web'],
  variants: [{ sku: 'HOT', size: 'M', colour: 'red', editionCap: 3 }],
  priceTiers: [{ unitPrice: 1000 }],
  window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00Z' },
  perCustomerLimit: 10,
  minimumOrderQuantity: 1,
  production: { microfactoryId: 'mf', leadTimeDays: 7 },
  returnWindowDays: 14,
};

const traceparentOfRequest = (i: number) => `00-${String(i + 1).padStart(32, 'a')}-${String(i + 1).padStart(16, 'b')}-01`;

/**
 * The writer's spans with a real tracer provider (in-memory exporter): each command gets a span
 * in its request's trace whose context the stored envelope carries; each batch a span of its own
 * linked to every command in it.
 */
describe('AggregateWriter spans', () => {
  const exporter = new tracing.InMemorySpanExporter();
  const provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });
  beforeAll(() => provider.register());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  it('puts each command in its request trace, links the batch to all of them, and stores the command span context', async () => {
    const db = await createTestEmbeddedDatabase();
    await ensureEventStoreSchema(db.pool);
    const store = new PostgresEventStore(db.pool);
    const writer = new AggregateWriter(store, dropDecider, schema);
    try {
      const ctx = (i: number): CommandContext => ({
        actor: 'test',
        correlationId: `c${i}`,
        causationId: null,
        traceparent: traceparentOfRequest(i),
        occurredAt: NOW,
      });
      const stream = dropStreamName('d1');
      await writer.execute(stream, { type: 'ScheduleDrop', dropId: 'd1', definition, now: NOW }, ctx(90), () => undefined);
      await writer.execute(stream, { type: 'OpenPreOrderWindow', dropId: 'd1', now: NOW }, ctx(91), () => undefined);
      exporter.reset();
      // Five buyers in the same tick: one batch; the cap (3) rejects two of them.
      const place = (i: number) => {
        const command: DropCommand = {
          type: 'PlacePreOrder',
          dropId: 'd1',
          preOrderId: preOrderIdFor('d1', `cust-${i}`, `k${i}`),
          customerId: `cust-${i}`,
          sku: 'HOT',
          quantity: 1,
          channel: 'web',
          fulfillment: { method: 'ship' },
          isRepeatCustomer: false,
          idempotencyFingerprint: `cust-${i}/1`,
          now: NOW,
        };
        return writer.execute(stream, command, ctx(i), () => undefined);
      };
      const outcomes = await Promise.allSettled([0, 1, 2, 3, 4].map(place));
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);

      const spans = exporter.getFinishedSpans();
      const commands = spans.filter((s) => s.name === 'command PlacePreOrder');
      expect(commands).toHaveLength(5);
      commands.forEach((span) => {
        const i = Number(span.spanContext().traceId.replace(/^a+/, '')) - 1;
        const request = spanContextOf(traceparentOfRequest(i))!;
        expect(span.spanContext().traceId).toBe(request.traceId);
        expect(span.parentSpanContext?.spanId).toBe(request.spanId);
        expect(span.events.map((e) => e.name)).toEqual(i < 3 ? ['dequeued', 'decided', 'appended'] : ['dequeued', 'rejected']);
      });
      const rejected = commands.find((s) => s.events.some((e) => e.name === 'rejected'))!;
      expect(rejected.attributes['dropline.rejection']).toBe('DROP.SOLD_OUT');

      // (The span of the previous batch, the window opening, may end after the reset.)
      const batches = spans.filter((s) => s.name === 'writer.batch' && s.attributes['dropline.batch_size'] !== 1);
      expect(batches).toHaveLength(1);
      expect(batches[0].parentSpanContext).toBeUndefined();
      expect(batches[0].attributes['dropline.batch_size']).toBe(5);
      expect(batches[0].links.map((l) => l.context.spanId).sort()).toEqual(commands.map((c) => c.spanContext().spanId).sort());

      const stored = await store.readStream(stream, { direction: 'forwards', fromRevision: 0, maxCount: 100 });
      const placed = stored.filter((e) => e.type === 'PreOrderPlaced');
      expect(placed).toHaveLength(3);
      for (const event of placed) {
        const span = commands.find((c) => `00-${c.spanContext().traceId}-${c.spanContext().spanId}-01` === event.metadata.traceparent);
        expect(span).toBeDefined();
      }
    } finally {
      await writer.close();
      await db.close();
    }
  });
});
