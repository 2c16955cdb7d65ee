import { DomainError, dropDecider, DropCommand, DropDefinition, DropEvent, DropState, dropStreamName, EVENT_SCHEMA_VERSIONS, preOrderAnswer, preOrderIdFor, upcast } from '@dropline/domain';
import { ensureEventStoreSchema, EventStore, PostgresEventStore } from '@dropline/event-store';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { createTestPostgresDatabase, requirePostgres } from '../../../test/support/postgres';
import { AggregateWriter } from './aggregate-writer';
import { CommandContext, EventSchema } from './envelope';

const schema: EventSchema = {
  versionOf: (type) => (EVENT_SCHEMA_VERSIONS as Record<string, number>)[type] ?? 1,
  upcast: (type, version, data) => upcast(type, version, data) as Record<string, unknown>,
};
const NOW = '2026-12-02T10:00:00Z';
const context: CommandContext = { actor: 'test', correlationId: 'c', causationId: null, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', occurredAt: NOW };

function definition(cap: number, perCustomerLimit = 1000): DropDefinition {
  return {
    name: 'Hot drop', currency: 'GBP', channels: ['web'],
    variants: [{ sku: 'HOT', size: 'M', colour: 'red', editionCap: cap }],
    priceTiers: [{ untilUnitsSold: 100, unitPrice: 1000 }, { untilUnitsSold: 200, unitPrice: 2000 }, { unitPrice: 3000 }],
    window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00Z' },
    perCustomerLimit, minimumOrderQuantity: 1, production: { microfactoryId: 'mf', leadTimeDays: 7 }, returnWindowDays: 14,
  };
}

type Writer = AggregateWriter<DropState, DropCommand, DropEvent>;

async function openDrop(writer: Writer, dropId: string, cap: number, limit?: number): Promise<void> {
  await writer.execute(dropStreamName(dropId), { type: 'ScheduleDrop', dropId, definition: definition(cap, limit), now: NOW }, context, () => undefined);
  await writer.execute(dropStreamName(dropId), { type: 'OpenPreOrderWindow', dropId, now: NOW }, context, () => undefined);
}

function place(writer: Writer, dropId: string, customerId: string, key: string, quantity = 1) {
  const preOrderId = preOrderIdFor(dropId, customerId, key);
  const command: DropCommand = {
    type: 'PlacePreOrder', dropId, preOrderId, customerId, sku: 'HOT', quantity, channel: 'web', fulfillment: { method: 'ship' },
    isRepeatCustomer: false, idempotencyFingerprint: `${customerId}/${quantity}`, now: NOW,
  };
  return writer.execute(dropStreamName(dropId), command, context, (state) => preOrderAnswer(state, preOrderId)!);
}

async function settle<T>(promises: Promise<T>[]): Promise<{ accepted: T[]; rejected: unknown[] }> {
  const results = await Promise.allSettled(promises);
  const accepted: T[] = [];
  const rejected: unknown[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') accepted.push(r.value as T);
    else rejected.push(r.reason);
  }
  return { accepted, rejected };
}

function behavesLikeTheBatchedCommandPath(name: string, open: () => Promise<{ store: EventStore; close(): Promise<void> }>) {
  describe(`batched command path on ${name}`, () => {
    let store: EventStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await open());
    });
    afterAll(async () => close?.());

    it('sells exactly the cap under 256-way concurrency, in few appends, with every caller answered', async () => {
      const writer: Writer = new AggregateWriter(store, dropDecider, schema);
      await openDrop(writer, 'cap256', 300);
      const { accepted, rejected } = await settle(Array.from({ length: 512 }, (_, i) => place(writer, 'cap256', `c-${i}`, `k-${i}`)));
      expect(accepted).toHaveLength(300);
      expect(rejected).toHaveLength(212);
      for (const r of rejected) expect((r as DomainError).code).toMatch(/^DROP\.SOLD_OUT$/);
      const events = await store.readStream(dropStreamName('cap256'));
      expect(events.filter((e) => e.type === 'PreOrderPlaced')).toHaveLength(300);
      // Batching: far fewer appends than commands (each append stamps one transaction position prefix).
      const appends = new Set(accepted.map((a) => a.revision));
      expect(appends.size).toBeLessThan(50);
    });

    it('prices every caller by the ladder in acceptance order', async () => {
      const writer: Writer = new AggregateWriter(store, dropDecider, schema);
      await openDrop(writer, 'ladder', 250);
      const { accepted } = await settle(Array.from({ length: 250 }, (_, i) => place(writer, 'ladder', `c-${i}`, `k-${i}`)));
      const events = (await store.readStream(dropStreamName('ladder'))).filter((e) => e.type === 'PreOrderPlaced');
      const priceOf = new Map(events.map((e, index) => [e.data.preOrderId as string, { index, unitPrice: e.data.unitPrice as number }]));
      for (const a of accepted) {
        const { index, unitPrice } = priceOf.get(a.answer.preOrderId)!;
        expect(a.answer.unitPrice).toBe(unitPrice);
        expect(unitPrice).toBe(index < 100 ? 1000 : index < 200 ? 2000 : 3000);
      }
    });

    it('answers a retry inside the same batch, and after it, with the original pre-order', async () => {
      const writer: Writer = new AggregateWriter(store, dropDecider, schema);
      await openDrop(writer, 'retry', 10);
      const [a, b, c] = await Promise.all([place(writer, 'retry', 'c-1', 'same'), place(writer, 'retry', 'c-1', 'same'), place(writer, 'retry', 'c-2', 'other')]);
      expect(b.answer).toEqual(a.answer);
      expect(c.answer.preOrderId).not.toBe(a.answer.preOrderId);
      const later = await place(new AggregateWriter(store, dropDecider, schema), 'retry', 'c-1', 'same');
      expect(later.answer).toEqual(a.answer);
      expect(later.events).toEqual([]);
      const placed = (await store.readStream(dropStreamName('retry'))).filter((e) => e.type === 'PreOrderPlaced');
      expect(placed).toHaveLength(2);
    });

    it('never answers a rejection from a state another writer has moved past', async () => {
      const one: Writer = new AggregateWriter(store, dropDecider, schema);
      const two: Writer = new AggregateWriter(store, dropDecider, schema);
      await one.execute(dropStreamName('stale'), { type: 'ScheduleDrop', dropId: 'stale', definition: definition(5), now: NOW }, context, () => undefined);
      // `one` has the drop cached as scheduled; `two` opens it.
      await two.execute(dropStreamName('stale'), { type: 'OpenPreOrderWindow', dropId: 'stale', now: NOW }, context, () => undefined);
      // A rejection appends nothing, so no expected-revision check would catch a stale "window not open".
      const placed = await place(one, 'stale', 'c-1', 'k-1');
      expect(placed.answer.preOrderId).toContain('stale.po.');
    });

    it('keeps the cap when two writers (as two processes would) race on one stream: losers reload and re-decide', async () => {
      const one: Writer = new AggregateWriter(store, dropDecider, schema);
      const two: Writer = new AggregateWriter(store, dropDecider, schema);
      await openDrop(one, 'race', 100, 3);
      const attempts = Array.from({ length: 400 }, (_, i) => place(i % 2 ? one : two, 'race', `c-${i % 50}`, `k-${i}`));
      const { accepted, rejected } = await settle(attempts);
      expect(accepted).toHaveLength(100);
      for (const r of rejected) expect(['DROP.SOLD_OUT', 'PREORDER.LIMIT_EXCEEDED']).toContain((r as DomainError).code);
      const placed = (await store.readStream(dropStreamName('race'))).filter((e) => e.type === 'PreOrderPlaced');
      expect(placed).toHaveLength(100);
      const perCustomer = new Map<string, number>();
      for (const e of placed) perCustomer.set(e.data.customerId as string, (perCustomer.get(e.data.customerId as string) ?? 0) + (e.data.quantity as number));
      expect(Math.max(...perCustomer.values())).toBeLessThanOrEqual(3);
    });
  });
}

behavesLikeTheBatchedCommandPath('PGlite', async () => {
  const db = await createTestEmbeddedDatabase();
  await ensureEventStoreSchema(db.pool);
  return { store: new PostgresEventStore(db.pool), close: () => db.close() };
});

describe('PostgreSQL', () => {
  requirePostgres();
  behavesLikeTheBatchedCommandPath('PostgreSQL', async () => {
    const db = await createTestPostgresDatabase('writer');
    await ensureEventStoreSchema(db.pool);
    const store = new PostgresEventStore(db.pool);
    return { store, close: async () => { await store.close(); await db.drop(); } };
  });
});
