import { randomUUID } from 'node:crypto';
import { decide, DropCommand, DropDefinition, DropEvent, EVENT_SCHEMA_VERSIONS, evolve, initialState } from '@dropline/domain';
import { ensureEventStoreSchema, PostgresEventStore, type EmbeddedDatabase, type NewEvent } from '@dropline/event-store';
import { CheckpointStore, ProcessLease } from '@dropline/runtime';
import { dropEventsCodec, KafkaPublisher, Relay } from '../src';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { describeKafka, isMockCluster, recordingConsumer, testKafka, uniqueTopic, waitFor } from '../../../test/support/kafka';
import { appendInterleaved } from './fixtures';

const header = (m: { headers?: Record<string, unknown> }, name: string) => {
  const v = m.headers?.[name];
  return v === undefined ? undefined : String(v);
};

describeKafka('relay over the Kafka wire protocol', () => {
  let db: EmbeddedDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    await ensureEventStoreSchema(db.pool);
    store = new PostgresEventStore(db.pool);
    await new CheckpointStore(db.pool).ensureSchema();
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  it('delivers every appended event once per consumer group, keyed by drop, with CloudEvents headers, in order per drop', async () => {
    const topic = uniqueTopic('relay');
    const kafka = testKafka('relay-test');
    const dropIds = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    const ids = await appendInterleaved(store, dropIds, 40);
    const publisher = new KafkaPublisher(kafka, topic, { idempotentProducer: !isMockCluster() });
    const relay = new Relay(
      store,
      dropEventsCodec('/dropline/test'),
      publisher,
      new CheckpointStore(db.pool),
      new ProcessLease(`relay:${topic}`, db.pool),
      {
        name: `relay:${topic}`,
        filter: { streamPrefixes: ['drop-'] },
        batchSize: 100,
      },
    );
    relay.start();
    const groups = [
      await recordingConsumer(kafka, topic, `${topic}.fulfillment`),
      await recordingConsumer(kafka, topic, `${topic}.analytics`),
    ];
    try {
      // Events appended while the relay runs go out too.
      ids.push(...(await appendInterleaved(store, dropIds, 10, 40)));
      for (const g of groups)
        await waitFor(
          () => g.received.length >= ids.length,
          60_000,
          () => `${g.received.length}/${ids.length} received`,
        );
      await new Promise((r) => setTimeout(r, 1_000)); // anything extra would show up now
      for (const g of groups) {
        const ceIds = g.received.map((r) => header(r.message, 'ce_id'));
        expect(ceIds).toHaveLength(ids.length);
        expect(new Set(ceIds)).toEqual(new Set(ids));
        const byDrop = new Map<string, number[]>();
        const partitionOf = new Map<string, number>();
        for (const { partition, message } of g.received) {
          const dropId = message.key!.toString();
          expect(header(message, 'ce_subject')).toBe(dropId);
          expect(header(message, 'ce_partitionkey')).toBe(dropId);
          // One drop, one partition.
          expect(partitionOf.get(dropId) ?? partition).toBe(partition);
          partitionOf.set(dropId, partition);
          byDrop.set(dropId, [...(byDrop.get(dropId) ?? []), JSON.parse(message.value!.toString()).seq]);
        }
        for (const dropId of dropIds) expect(byDrop.get(dropId)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      }
      const first = groups[0].received.find((r) => JSON.parse(r.message.value!.toString()).seq === 1)!.message;
      expect({
        specversion: header(first, 'ce_specversion'),
        type: header(first, 'ce_type'),
        source: header(first, 'ce_source'),
        correlation: header(first, 'ce_correlationid'),
        causation: header(first, 'ce_causationid'),
        contentType: header(first, 'content-type'),
        traceparent: header(first, 'traceparent'),
      }).toEqual({
        specversion: '1.0',
        type: 'dropline.preorder.placed.v1',
        source: '/dropline/test',
        correlation: `corr-${first.key!.toString()}`,
        causation: 'cause-1',
        contentType: 'application/json',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      });
      expect(header(first, 'ce_time')).toBe('2026-12-01T10:00:01.000Z');
      expect(relay.status()).toMatchObject({ consecutiveFailures: 0, published: ids.length });
    } finally {
      for (const g of groups) await g.stop();
      await relay.stop();
      await publisher.close();
    }
  });

  it('stores the checkpoint only after the broker acknowledged, so a failed send is sent again and nothing is skipped', async () => {
    const topic = uniqueTopic('relay-ack');
    const kafka = testKafka('relay-ack-test');
    const real = new KafkaPublisher(kafka, topic, { idempotentProducer: !isMockCluster() });
    let failNext = true;
    const flaky = {
      publish: async (messages: Parameters<KafkaPublisher['publish']>[0]) => {
        await real.publish(messages); // the broker got them...
        if (failNext) {
          failNext = false;
          throw new Error('ack lost'); // ...but the relay never heard back: it must send them again
        }
      },
      close: () => real.close(),
    };
    const checkpoints = new CheckpointStore(db.pool);
    const name = `relay:${topic}`;
    const lease = new ProcessLease(name, db.pool);
    await lease.tryAcquire(); // publishNextBatch runs one round of the holder's loop
    const relay = new Relay(store, dropEventsCodec(), flaky, checkpoints, lease, {
      name,
      filter: { streamPrefixes: ['drop-golf'] },
      batchSize: 1000,
    });
    const ids = await appendInterleaved(store, ['golf'], 20);
    await expect(relay.publishNextBatch()).rejects.toThrow('ack lost');
    expect((await checkpoints.load(name))?.position).toBeUndefined();
    await relay.publishNextBatch();
    expect((await checkpoints.load(name))?.position).toBeDefined();
    const group = await recordingConsumer(kafka, topic, `${topic}.g`);
    try {
      await waitFor(
        () => group.received.length >= 2 * ids.length,
        30_000,
        () => `${group.received.length}/${2 * ids.length}`,
      );
      const counts = new Map<string, number>();
      for (const r of group.received) counts.set(header(r.message, 'ce_id')!, (counts.get(header(r.message, 'ce_id')!) ?? 0) + 1);
      expect([...counts.keys()].sort()).toEqual([...ids].sort());
      expect(new Set(counts.values())).toEqual(new Set([2]));
    } finally {
      await group.stop();
      await real.close();
    }
  });

  it('publishes access phases, members and a stored EarlyAccessOpened on the one topic, each with its own ce_type, in store order', async () => {
    const topic = uniqueTopic('relay-access');
    const kafka = testKafka('relay-access-test');
    const definition: DropDefinition = {
      name: 'Phased',
      city: 'Bristol',
      currency: 'GBP',
      channels: ['web'],
      variants: [{ sku: 'M', size: 'M', colour: 'navy', editionCap: 10 }],
      priceTiers: [{ unitPrice: 2500 }],
      window: { opensAt: '2026-12-10T10:00:00Z', closesAt: '2026-12-17T10:00:00Z' },
      phases: [
        { name: 'members', opensAt: '2026-12-05T10:00:00Z', audience: 'members', allocation: { M: 4 } },
        { name: 'city', opensAt: '2026-12-08T10:00:00Z', audience: 'city' },
      ],
      perCustomerLimit: 2,
      minimumOrderQuantity: 1,
      production: { microfactoryId: 'mf', leadTimeDays: 7 },
      returnWindowDays: 14,
    };
    const ops = { subject: 'ops-1', roles: ['ops'] as const };
    const now = '2026-12-01T09:00:00.000Z';
    const commands: DropCommand[] = [
      { type: 'ScheduleDrop', dropId: 'india', definition, now },
      { type: 'AddDropMembers', dropId: 'india', customerIds: ['ana', 'bo'], actor: ops, now },
      { type: 'RemoveDropMembers', dropId: 'india', customerIds: ['bo'], actor: ops, now },
      { type: 'OpenAccessPhase', dropId: 'india', phase: 'city', manual: true, now },
    ];
    let state = initialState();
    const decided: DropEvent[] = [];
    for (const command of commands)
      for (const event of decide(command, state)) {
        state = evolve(state, event);
        decided.push(event);
      }
    const stored = (event: DropEvent): NewEvent => ({
      eventId: randomUUID(),
      type: event.type,
      schemaVersion: EVENT_SCHEMA_VERSIONS[event.type],
      data: event.data as Record<string, unknown>,
      metadata: { correlationId: 'corr-access', causationId: null, actor: 'ops-1', occurredAt: now, traceparent: '' },
    });
    await store.appendToStream('drop-india', decided.map(stored), 'any');
    // A drop from before access phases: its EarlyAccessOpened stays in the store and goes out as it always did.
    const legacy: DropEvent[] = [
      {
        type: 'DropScheduled',
        data: {
          dropId: 'juliet',
          definition: { ...definition, phases: undefined, earlyAccess: { opensAt: '2026-12-09T10:00:00Z', audience: 'repeat-customers' } },
          scheduledAt: now,
        },
      },
      { type: 'EarlyAccessOpened', data: { dropId: 'juliet', audience: 'repeat-customers', openedAt: '2026-12-09T10:00:00.000Z' } },
    ];
    await store.appendToStream('drop-juliet', legacy.map(stored), 'any');

    const name = `relay:${topic}`;
    const lease = new ProcessLease(name, db.pool);
    await lease.tryAcquire();
    const publisher = new KafkaPublisher(kafka, topic, { idempotentProducer: !isMockCluster() });
    const relay = new Relay(store, dropEventsCodec(), publisher, new CheckpointStore(db.pool), lease, {
      name,
      filter: { streamPrefixes: ['drop-india', 'drop-juliet'] },
      batchSize: 100,
    });
    const group = await recordingConsumer(kafka, topic, `${topic}.g`);
    try {
      await relay.publishNextBatch();
      await waitFor(
        () => group.received.length >= decided.length + legacy.length,
        30_000,
        () => `${group.received.length}/${decided.length + legacy.length}`,
      );
      const byDrop = (dropId: string) =>
        group.received
          .filter((r) => r.message.key!.toString() === dropId)
          .map((r) => [header(r.message, 'ce_type'), JSON.parse(r.message.value!.toString())]);
      expect(byDrop('india')).toEqual([
        ['dropline.drop.scheduled.v1', decided[0].data],
        ['dropline.dropmembers.added.v1', { dropId: 'india', customerIds: ['ana', 'bo'], addedBy: 'ops-1', addedAt: now }],
        ['dropline.dropmembers.removed.v1', { dropId: 'india', customerIds: ['bo'], removedBy: 'ops-1', removedAt: now }],
        ['dropline.accessphase.opened.v1', expect.objectContaining({ phase: 'members', trigger: 'ops' })],
        ['dropline.accessphase.opened.v1', expect.objectContaining({ phase: 'city', trigger: 'ops' })],
      ]);
      expect(byDrop('juliet').map(([ceType]) => ceType)).toEqual(['dropline.drop.scheduled.v1', 'dropline.earlyaccess.opened.v1']);
    } finally {
      await group.stop();
      await publisher.close();
      await lease.release();
    }
  });

  it('lets only the lease holder publish', async () => {
    const name = 'relay:lease-test';
    const holder = new ProcessLease(name, db.pool);
    expect(await holder.tryAcquire()).toBe(true);
    const sent: number[] = [];
    const relay = new Relay(
      store,
      dropEventsCodec(),
      { publish: async (m) => void sent.push(m.length), close: async () => undefined },
      new CheckpointStore(db.pool),
      new ProcessLease(name, db.pool),
      {
        name,
        filter: { streamPrefixes: ['drop-'] },
        leaseRetryMs: 50,
      },
    );
    relay.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(relay.status().state).toBe('standby');
    expect(sent).toEqual([]);
    await holder.release();
    await waitFor(
      () => sent.length > 0,
      5_000,
      () => `state ${relay.status().state}`,
    );
    await relay.stop();
  });
});
