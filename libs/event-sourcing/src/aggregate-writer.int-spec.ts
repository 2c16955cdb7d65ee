import {
  DomainError,
  dropDecider,
  DropCommand,
  DropDefinition,
  DropEvent,
  DropState,
  dropStreamName,
  EVENT_SCHEMA_VERSIONS,
  preOrderAnswer,
  preOrderIdFor,
  upcast,
} from '@dropline/domain';
import {
  ensureEventStoreSchema,
  EventStore,
  NewEvent,
  PostgresEventStore,
  StoreUnavailableError,
  WrongExpectedRevisionError,
} from '@dropline/event-store';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { createTestPostgresDatabase, requirePostgres } from '../../../test/support/postgres';
import { AggregateWriter, ConcurrencyExhaustedError, UnstorableCommandError } from './aggregate-writer';
import { CommandContext, EventSchema } from './envelope';

const schema: EventSchema = {
  versionOf: (type) => (EVENT_SCHEMA_VERSIONS as Record<string, number>)[type] ?? 1,
  upcast: (type, version, data) => upcast(type, version, data) as Record<string, unknown>,
};
const NOW = '2026-12-02T10:00:00Z';
const context: CommandContext = {
  actor: 'test',
  correlationId: 'c',
  causationId: null,
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  occurredAt: NOW,
};

function definition(cap: number, perCustomerLimit = 1000): DropDefinition {
  return {
    name: 'Hot drop',
    currency: 'GBP',
    channels: ['web'],
    variants: [{ sku: 'HOT', size: 'M', colour: 'red', editionCap: cap }],
    priceTiers: [{ untilUnitsSold: 100, unitPrice: 1000 }, { untilUnitsSold: 200, unitPrice: 2000 }, { unitPrice: 3000 }],
    window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00Z' },
    perCustomerLimit,
    minimumOrderQuantity: 1,
    production: { microfactoryId: 'mf', leadTimeDays: 7 },
    returnWindowDays: 14,
  };
}

type Writer = AggregateWriter<DropState, DropCommand, DropEvent>;

async function openDrop(writer: Writer, dropId: string, cap: number, limit?: number): Promise<void> {
  await writer.execute(
    dropStreamName(dropId),
    { type: 'ScheduleDrop', dropId, definition: definition(cap, limit), now: NOW },
    context,
    () => undefined,
  );
  await writer.execute(dropStreamName(dropId), { type: 'OpenPreOrderWindow', dropId, now: NOW }, context, () => undefined);
}

function place(
  writer: Writer,
  dropId: string,
  customerId: string,
  key: string,
  quantity = 1,
  extra: { referralCode?: string; actor?: string } = {},
) {
  const preOrderId = preOrderIdFor(dropId, customerId, key);
  const command: DropCommand = {
    type: 'PlacePreOrder',
    dropId,
    preOrderId,
    customerId,
    sku: 'HOT',
    quantity,
    channel: 'web',
    fulfillment: { method: 'ship' },
    isRepeatCustomer: false,
    idempotencyFingerprint: `${customerId}/${quantity}`,
    now: NOW,
    ...(extra.referralCode === undefined ? {} : { referralCode: extra.referralCode }),
  };
  const ctx = extra.actor === undefined ? context : { ...context, actor: extra.actor };
  return writer.execute(dropStreamName(dropId), command, ctx, (state) => preOrderAnswer(state, preOrderId)!);
}

/** Delegates to `inner`, records the size of every append, and throws `failure()` instead when it returns an error. */
function instrumented(inner: EventStore, failure: () => unknown = () => undefined) {
  const appends: number[] = [];
  const store: EventStore = {
    appendToStream: async (streamName: string, events: NewEvent[], expected) => {
      appends.push(events.length);
      const error = failure();
      if (error !== undefined) throw error;
      return inner.appendToStream(streamName, events, expected);
    },
    readStream: (streamName, options) => inner.readStream(streamName, options),
    readAll: (options) => inner.readAll(options),
    subscribeToAll: (options) => inner.subscribeToAll(options),
    comparePositions: (a, b) => inner.comparePositions(a, b),
    headRecordedAt: () => inner.headRecordedAt(),
    close: async () => undefined,
  };
  return { store, appends };
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
      const [a, b, c] = await Promise.all([
        place(writer, 'retry', 'c-1', 'same'),
        place(writer, 'retry', 'c-1', 'same'),
        place(writer, 'retry', 'c-2', 'other'),
      ]);
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
      await one.execute(
        dropStreamName('stale'),
        { type: 'ScheduleDrop', dropId: 'stale', definition: definition(5), now: NOW },
        context,
        () => undefined,
      );
      // `one` has the drop cached as scheduled; `two` opens it.
      await two.execute(dropStreamName('stale'), { type: 'OpenPreOrderWindow', dropId: 'stale', now: NOW }, context, () => undefined);
      // A rejection appends nothing, so no expected-revision check would catch a stale "window not open".
      const placed = await place(one, 'stale', 'c-1', 'k-1');
      expect(placed.answer.preOrderId).toContain('stale.po.');
    });

    it('stores every clean command of a batch when a few carry a NUL or a lone surrogate, and refuses only those', async () => {
      const { store: counted, appends } = instrumented(store);
      const writer: Writer = new AggregateWriter(counted, dropDecider, schema);
      await openDrop(writer, 'poison', 1000);
      appends.length = 0;
      // Spread out; the poison reaches the PreOrderPlaced payload (referralCode) or its metadata (actor).
      const poison = new Map<number, { referralCode?: string; actor?: string }>([
        [7, { referralCode: 'FRIEND\u0000' }],
        [48, { referralCode: 'x\ud800y' }],
        [99, { referralCode: '\udc00' }],
        [141, { actor: 'admin\u0000' }],
        [183, { referralCode: 'lone\ud83d' }],
      ]);
      const N = 200;
      const key = (i: number) => (i === 150 ? 'k-10' : `k-${i}`); // 150 retries 10: idempotent across halves
      const customer = (i: number) => (i === 150 ? 'c-10' : `c-${i}`);
      const promises = Array.from({ length: N }, (_, i) =>
        place(writer, 'poison', customer(i), key(i), 1, poison.get(i) ?? { referralCode: `ok-${i}` }),
      );
      const results = await Promise.allSettled(promises);

      const innocentFailures = results.flatMap((r, i) => (!poison.has(i) && r.status === 'rejected' ? [`#${i}: ${String(r.reason)}`] : []));
      expect(innocentFailures).toEqual([]);
      for (const i of poison.keys()) {
        const r = results[i];
        expect(r.status).toBe('rejected');
        const error = (r as PromiseRejectedResult).reason;
        expect(error).toBeInstanceOf(UnstorableCommandError);
        expect(error.code).toBe('COMMAND.UNSTORABLE');
        expect(error.message).not.toMatch(/jsonb|unicode|sql|escape|syntax/i);
        // 22P05: \u0000 in jsonb; 22P02: an unpaired surrogate escape in jsonb.
        expect(['22P05', '22P02']).toContain(error.cause.code);
      }
      const retried = (results[150] as PromiseFulfilledResult<{ answer: unknown; events: unknown[] }>).value;
      expect(retried.answer).toEqual((results[10] as PromiseFulfilledResult<{ answer: unknown }>).value.answer);

      const placed = (await store.readStream(dropStreamName('poison'))).filter((e) => e.type === 'PreOrderPlaced');
      const clean = Array.from({ length: N }, (_, i) => i).filter((i) => !poison.has(i) && i !== 150);
      // Each clean command stored exactly once, in submission order (first half before second half); nothing poisoned.
      expect(placed.map((e) => e.data.preOrderId)).toEqual(clean.map((i) => preOrderIdFor('poison', customer(i), key(i))));
      expect(placed.map((e) => e.data.sequence)).toEqual(clean.map((_, n) => n + 1));
      for (const e of placed) expect(e.metadata.actor).toBe('test');
      // Bounded: each poisoned command costs at most one failed append per level.
      expect(appends.length).toBeLessThanOrEqual(1 + 2 * poison.size * Math.ceil(Math.log2(N)));
      console.log(
        `[writer] ${N} commands, ${poison.size} poisoned: ${appends.length} append calls (${appends.filter((n) => n > 0).length} non-empty)`,
      );

      // The stream stays usable.
      const after = await place(writer, 'poison', 'c-after', 'k-after');
      expect(after.events).toHaveLength(1);
    });

    it('rejects a lone command that cannot be stored with COMMAND.UNSTORABLE and keeps the writer working', async () => {
      const writer: Writer = new AggregateWriter(store, dropDecider, schema);
      await openDrop(writer, 'poison-one', 10);
      await expect(place(writer, 'poison-one', 'c-1', 'k-1', 1, { referralCode: '\u0000' })).rejects.toMatchObject({
        code: 'COMMAND.UNSTORABLE',
      });
      await expect(place(writer, 'poison-one', 'c-2', 'k-2', 1, { actor: '\udfff' })).rejects.toBeInstanceOf(UnstorableCommandError);
      const ok = await place(writer, 'poison-one', 'c-3', 'k-3');
      expect(ok.answer.preOrderId).toBe(preOrderIdFor('poison-one', 'c-3', 'k-3'));
      expect((await store.readStream(dropStreamName('poison-one'))).filter((e) => e.type === 'PreOrderPlaced')).toHaveLength(1);
    });

    it('does not split a batch on an outage, a revision conflict, or a store failure that is not about the data', async () => {
      const outage = new StoreUnavailableError('PostgreSQL event store unavailable during appendToStream: Connection terminated');
      const socket = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      const missingTable = Object.assign(new Error('relation "events" does not exist'), { code: '42P01' });
      for (const [name, error, expected] of [
        ['outage', outage, outage],
        ['socket', socket, socket],
        ['missing table', missingTable, missingTable],
      ] as const) {
        let failing = false;
        const { store: faulty, appends } = instrumented(store, () => (failing ? error : undefined));
        const writer: Writer = new AggregateWriter(faulty, dropDecider, schema);
        await openDrop(writer, `nosplit-${name.replace(' ', '-')}`, 100);
        failing = true;
        appends.length = 0;
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => place(writer, `nosplit-${name.replace(' ', '-')}`, `c-${i}`, `k-${i}`)),
        );
        expect(appends).toEqual([20]);
        for (const r of results) expect((r as PromiseRejectedResult).reason).toBe(expected);
      }

      await openDrop(new AggregateWriter(store, dropDecider, schema), 'nosplit-conflict', 100);
      const { store: contended, appends } = instrumented(
        store,
        () => new WrongExpectedRevisionError(dropStreamName('nosplit-conflict'), 1, 2),
      );
      const writer: Writer = new AggregateWriter(contended, dropDecider, schema, { maxConflictRetries: 3 });
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => place(writer, 'nosplit-conflict', `c-${i}`, `k-${i}`)));
      // Every attempt reloads and re-decides the whole batch; it is never halved.
      expect(appends).toEqual([20, 20, 20]);
      for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyExhaustedError);
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
      for (const e of placed)
        perCustomer.set(e.data.customerId as string, (perCustomer.get(e.data.customerId as string) ?? 0) + (e.data.quantity as number));
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
    return {
      store,
      close: async () => {
        await store.close();
        await db.drop();
      },
    };
  });
});
