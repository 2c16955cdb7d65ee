import {
  decide,
  dropDecider,
  DropCommand,
  DropEvent,
  DropState,
  dropStreamName,
  EVENT_SCHEMA_VERSIONS,
  evolve,
  initialState,
  preOrderIdFor,
  upcast,
} from '@dropline/domain';
import { AggregateWriter, CommandContext, EventSchema, toNewEvent } from '@dropline/event-sourcing';
import { ensureEventStoreSchema, PostgresEventStore, type EmbeddedDatabase, type RecordedEvent } from '@dropline/event-store';
import { CheckpointStore, ProcessLease } from '@dropline/runtime';
import { dropEventsCodec, KafkaPublisher, OutboundMessage, Relay } from '../src';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { describeKafka, isMockCluster, recordingConsumer, testKafka, uniqueTopic, waitFor } from '../../../test/support/kafka';

// A production run over 20 000 pre-orders, completed by the real writer and published by the
// relay over the Kafka wire protocol. 20 000 rather than 100 000 to keep the run short on a
// shared machine (the 100 000-pre-order run is libs/domain drop.large-drop.spec.ts); it is past
// the size at which schema v1 of ProductionRunCompleted (every covered and uncovered id) passed
// Kafka's 1 MB: with ids this long, about 11 000 pre-orders.
const PRE_ORDERS = 20_000;
const KAFKA_MESSAGE_LIMIT = 1_000_000;
const MIB = 1024 * 1024;
/** Ids at the longest the API accepts: 64-character drop ids, 128-character customer ids. */
const DROP_ID = `relay-large-run-${'x'.repeat(48)}`;
const customerOf = (n: number) => `customer-${String(n).padStart(8, '0')}-${'c'.repeat(110)}`;
const SKUS = ['LR-S', 'LR-M', 'LR-L'];

const schema: EventSchema = {
  versionOf: (type) => (EVENT_SCHEMA_VERSIONS as Record<string, number>)[type] ?? 1,
  upcast: (type, version, data) => upcast(type, version, data),
};
const context = (occurredAt: string): CommandContext => ({
  actor: 's'.repeat(128),
  correlationId: 'k'.repeat(128),
  causationId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  occurredAt,
});

/** The open drop and its pre-orders, decided by the real decider (appending them one command at a time would only be slower). */
function openDropWithPreOrders(): DropEvent[] {
  const commands: DropCommand[] = [
    {
      type: 'ScheduleDrop',
      dropId: DROP_ID,
      now: '2026-11-01T09:00:00Z',
      definition: {
        name: 'Large run',
        currency: 'GBP',
        channels: ['web'],
        variants: SKUS.map((sku) => ({ sku, size: sku.slice(3), colour: 'black', editionCap: 3 * PRE_ORDERS })),
        priceTiers: [{ untilUnitsSold: 1000, unitPrice: 2500 }, { unitPrice: 3000 }],
        window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00Z' },
        perCustomerLimit: 4,
        minimumOrderQuantity: 1,
        production: { microfactoryId: 'mf-1', leadTimeDays: 14 },
        returnWindowDays: 14,
      },
    },
    { type: 'OpenPreOrderWindow', dropId: DROP_ID, now: '2026-12-01T10:00:00Z' },
  ];
  for (let n = 1; n <= PRE_ORDERS; n++) {
    const customerId = customerOf(n);
    commands.push({
      type: 'PlacePreOrder',
      dropId: DROP_ID,
      preOrderId: preOrderIdFor(DROP_ID, customerId, `key-${n}`),
      customerId,
      sku: SKUS[n % SKUS.length],
      quantity: 1 + (Math.floor(n / 3) % 3),
      channel: 'web',
      fulfillment: { method: 'ship' },
      isRepeatCustomer: false,
      idempotencyFingerprint: 'f'.repeat(64),
      now: '2026-12-02T12:00:00Z',
    });
  }
  let state: DropState = initialState();
  const events: DropEvent[] = [];
  for (const command of commands) {
    for (const event of decide(command, state)) {
      state = evolve(state, event);
      events.push(event);
    }
  }
  return events;
}

/** Bytes of a stored event as EventStoreDB counts them (data + metadata, with the keys the ESDB adapter adds, + 2 × type). */
function storedSize(e: RecordedEvent): number {
  const metadata = {
    ...e.metadata,
    schemaVersion: e.schemaVersion,
    $correlationId: e.metadata.correlationId,
    $causationId: e.metadata.causationId,
  };
  return Buffer.byteLength(JSON.stringify(e.data)) + Buffer.byteLength(JSON.stringify(metadata)) + 2 * Buffer.byteLength(e.type);
}

/** Bytes of a Kafka record's key, value and headers (the record's own framing adds a few dozen). */
function messageSize(m: { key?: Buffer | string | null; value: Buffer | string | null; headers?: Record<string, unknown> }): number {
  let size = Buffer.byteLength(m.key ?? '') + Buffer.byteLength(m.value ?? '');
  for (const [name, value] of Object.entries(m.headers ?? {})) size += Buffer.byteLength(name) + Buffer.byteLength(String(value));
  return size;
}

describeKafka('relay: a production run over 20 000 pre-orders', () => {
  const opened: { db?: EmbeddedDatabase; store?: PostgresEventStore } = {};
  afterAll(async () => {
    await opened.store?.close();
    await opened.db?.close();
  });

  it('completes the run through the writer and publishes every event of the drop, each message under 1 MB', async () => {
    const db = (opened.db = await createTestEmbeddedDatabase());
    await ensureEventStoreSchema(db.pool);
    await new CheckpointStore(db.pool).ensureSchema();
    // The store takes appends of at most 1 MiB, as EventStoreDB does by default: the run's completion and every
    // batch of placements must fit it (the writer cuts batches by this limit).
    const store = (opened.store = new PostgresEventStore(db.pool, { maxAppendBytes: 1024 * 1024 }));
    const stream = dropStreamName(DROP_ID);
    const preOrders = openDropWithPreOrders();
    for (let i = 0; i < preOrders.length; i += 500) {
      const chunk = preOrders.slice(i, i + 500).map((e) => toNewEvent(e, context('2026-12-02T12:00:00Z'), schema));
      await store.appendToStream(stream, chunk, i === 0 ? 'no_stream' : i - 1);
    }
    const writer = new AggregateWriter(store, dropDecider, schema);
    const runId = `${DROP_ID}.run.1`;
    const completeAt = '2026-12-24T16:00:00Z';
    for (const command of [
      { type: 'ClosePreOrderWindow', dropId: DROP_ID, now: '2026-12-08T10:00:00Z' },
      { type: 'StartProductionRun', dropId: DROP_ID, runId, now: '2026-12-10T08:00:00Z' },
      // A shortfall: 60% of each SKU's units, so thousands of pre-orders are covered and thousands wait.
      {
        type: 'CompleteProductionRun',
        dropId: DROP_ID,
        runId,
        producedBySku: Object.fromEntries(SKUS.map((sku) => [sku, Math.floor((PRE_ORDERS / SKUS.length) * 2 * 0.6)])),
        rejectedBySku: {},
        now: completeAt,
      },
    ] as DropCommand[]) {
      await writer.execute(stream, command, context(command.now), () => undefined);
    }
    const stored = await store.readStream(stream);
    const completed = stored.find((e) => e.type === 'ProductionRunCompleted')!;
    expect(completed.schemaVersion).toBe(2);
    const { coveredPreOrderCount, uncoveredPreOrderCount } = completed.data as {
      coveredPreOrderCount: number;
      uncoveredPreOrderCount: number;
    };
    expect(coveredPreOrderCount + uncoveredPreOrderCount).toBe(PRE_ORDERS);
    expect(Math.min(coveredPreOrderCount, uncoveredPreOrderCount)).toBeGreaterThan(5_000);
    expect(Math.max(...stored.map(storedSize))).toBeLessThan(MIB);
    expect(storedSize(completed)).toBeLessThan(2_000);

    const topic = uniqueTopic('relay-large');
    const kafka = testKafka('relay-large-test');
    const publisher = new KafkaPublisher(kafka, topic, { idempotentProducer: !isMockCluster() });
    const sent: OutboundMessage[][] = [];
    const relay = new Relay(
      store,
      dropEventsCodec('/dropline/test'),
      {
        publish: async (messages) => {
          await publisher.publish(messages);
          sent.push(messages); // acknowledged by every in-sync replica
        },
        close: () => publisher.close(),
      },
      new CheckpointStore(db.pool),
      new ProcessLease(`relay:${topic}`, db.pool),
      { name: `relay:${topic}`, filter: { streamPrefixes: [stream] } },
    );
    relay.start();
    // The kcat mock keeps about 5 MB per partition and drops older record batches, so the consumer
    // starts once everything is acknowledged and reads the tail: the run's events and the last pre-orders.
    let group: Awaited<ReturnType<typeof recordingConsumer>> | undefined;
    try {
      await waitFor(
        () => relay.status().published >= stored.length,
        60_000,
        () => `${relay.status().published}/${stored.length} published`,
      );
      const acknowledged = sent.flat();
      expect(acknowledged.map((m) => m.headers.ce_id)).toEqual(stored.map((e) => e.eventId));
      expect(Math.max(...acknowledged.map(messageSize))).toBeLessThan(KAFKA_MESSAGE_LIMIT);

      group = await recordingConsumer(kafka, topic, `${topic}.g`);
      const lastId = stored[stored.length - 1].eventId;
      await waitFor(
        () => group!.received.some(({ message }) => String(message.headers?.ce_id) === lastId),
        60_000,
        () => `${group!.received.length} received, not yet the last event`,
      );
      const run = group.received.find(({ message }) => String(message.headers?.ce_type) === 'dropline.productionrun.completed.v2');
      expect(run).toBeDefined();
      expect(JSON.parse(run!.message.value!.toString())).toMatchObject({ runId, coveredPreOrderCount, uncoveredPreOrderCount });
      expect(messageSize(run!.message)).toBeLessThan(2_500);
      expect(Math.max(...group.received.map(({ message }) => messageSize(message)))).toBeLessThan(KAFKA_MESSAGE_LIMIT);
      const perSend = sent.map((batch) => batch.reduce((total, m) => total + messageSize(m), 0));
      process.stdout.write(
        `relay-large-run: ${stored.length} events in ${sent.length} sends; largest message ${Math.max(...acknowledged.map(messageSize))} B, ` +
          `ProductionRunCompleted ${messageSize(run!.message)} B, largest send ${Math.max(...perSend)} B; ${group.received.length} read back\n`,
      );
    } finally {
      await group?.stop();
      await relay.stop();
      await publisher.close();
    }
  });
});
