import {
  DomainError,
  dropDecider,
  DropCommand,
  DropDefinition,
  DropEvent,
  DropState,
  dropStreamName,
  preOrderAnswer,
  preOrderIdFor,
} from '@dropline/domain';
import {
  ensureEventStoreSchema,
  EventStore,
  NewEvent,
  PostgresEventStore,
  StoreUnavailableError,
  WrongExpectedRevisionError,
} from '@dropline/event-store';
import type { Pool } from 'pg';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { createTestPostgresDatabase, requirePostgres } from '../../../test/support/postgres';
import {
  AggregateWriter,
  CommandTooLargeError,
  ConcurrencyExhaustedError,
  StreamNotContiguousError,
  UnstorableCommandError,
} from './aggregate-writer';
import { CommandContext } from './envelope';
import { dropEventSchema } from './testing/drop-event-schema';
import { maxCustomerId, maxDropId, MIB, openMaximalDrop, placeMaximal } from './testing/maximal-pre-order';

const schema = dropEventSchema;
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

/**
 * Delegates to `inner`, records the size of every append (events, and bytes as `inner` measures
 * them), and throws `failure()` instead when it returns an error. `before` runs first, with the
 * number of the append (0-based).
 */
function instrumented(
  inner: EventStore,
  failure: () => unknown = () => undefined,
  before: (call: number, events: NewEvent[]) => Promise<void> | void = () => undefined,
) {
  const appends: number[] = [];
  const bytes: number[] = [];
  const store: EventStore = {
    maxAppendBytes: inner.maxAppendBytes,
    appendSize: (events) => inner.appendSize(events),
    appendToStream: async (streamName: string, events: NewEvent[], expected) => {
      const call = appends.length;
      appends.push(events.length);
      bytes.push(inner.appendSize(events));
      await before(call, events);
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
  return { store, appends, bytes };
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

interface OpenedStore {
  store: EventStore;
  /** The same database through a store with another maxAppendBytes. */
  storeWith(maxAppendBytes: number): EventStore;
  pool: Pool;
  close(): Promise<void>;
}

function behavesLikeTheBatchedCommandPath(name: string, open: () => Promise<OpenedStore>) {
  describe(`batched command path on ${name}`, () => {
    let store: EventStore;
    let storeWith: (maxAppendBytes: number) => EventStore;
    let pool: Pool;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, storeWith, pool, close } = await open());
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

    it('remembers the last event of each rememberTypes type per stream: from its own appends, from other writers, and after a restart', async () => {
      const remembering = () =>
        new AggregateWriter(store, dropDecider, schema, { rememberTypes: ['DropScheduled', 'PreOrderWindowOpened'] });
      const stream = dropStreamName('remember');
      const ref = async (type: string) => {
        const event = (await store.readStream(stream)).filter((e) => e.type === type).at(-1)!;
        return { eventId: event.eventId, correlationId: event.metadata.correlationId, revision: event.revision };
      };
      const a = remembering();
      await a.execute(
        stream,
        { type: 'ScheduleDrop', dropId: 'remember', definition: definition(10), now: NOW },
        { ...context, correlationId: 'sched' },
        () => undefined,
      );
      // A's own append, from its cache.
      expect((await a.load(stream)).remembered).toEqual({ DropScheduled: await ref('DropScheduled') });
      expect((await a.load(stream)).remembered.DropScheduled.correlationId).toBe('sched');
      // Another process appends: A catches up with it on load.
      const b = remembering();
      await b.execute(
        stream,
        { type: 'OpenPreOrderWindow', dropId: 'remember', now: NOW },
        { ...context, correlationId: 'open' },
        () => undefined,
      );
      const both = { DropScheduled: await ref('DropScheduled'), PreOrderWindowOpened: await ref('PreOrderWindowOpened') };
      expect((await a.load(stream)).remembered).toEqual(both);
      // A fresh writer (a restart) folds the same from the stream; one without rememberTypes remembers nothing.
      expect((await remembering().load(stream)).remembered).toEqual(both);
      expect((await new AggregateWriter(store, dropDecider, schema).load(stream)).remembered).toEqual({});
    });

    it("keeps a reader's fold of a cold stream: the next load reads only what was appended since, and a missing stream is not kept", async () => {
      const writer: Writer = new AggregateWriter(store, dropDecider, schema);
      await openDrop(writer, 'cold-read', 10);
      await place(writer, 'cold-read', 'c-1', 'k-1');
      const stream = dropStreamName('cold-read');
      const reads: number[] = [];
      const counting = Object.assign(Object.create(store) as EventStore, {
        readStream: (name: string, options?: { fromRevision?: number }) => {
          if (name === stream) reads.push(options?.fromRevision ?? 0);
          return store.readStream(name, options);
        },
      });
      // A restarted engine: a staff read folds the stream once, then only catches up.
      const reader: Writer = new AggregateWriter(counting, dropDecider, schema);
      const first = await reader.load(stream);
      expect(reader.cachedState(stream)).toBe(first.state);
      await place(writer, 'cold-read', 'c-2', 'k-2');
      const second = await reader.load(stream);
      expect(second.revision).toBe(first.revision + 1);
      expect(reads).toEqual([0, first.revision + 1]);
      // The cache it kept decides commands as a loaded one would (caught up before deciding).
      await expect(place(reader, 'cold-read', 'c-3', 'k-3')).resolves.toBeDefined();
      await reader.load(dropStreamName('never-scheduled'));
      expect(reader.cachedState(dropStreamName('never-scheduled'))).toBeUndefined();
    });

    it('serves readers the stored state while a batch is in flight, from a fold of their own that they then only catch up', async () => {
      const stream = dropStreamName('busy-read');
      const reads: number[] = [];
      let release: () => void = () => undefined;
      const held: { gate?: Promise<void> } = {};
      const gated = Object.assign(Object.create(store) as EventStore, {
        readStream: (name: string, options?: { fromRevision?: number }) => {
          if (name === stream) reads.push(options?.fromRevision ?? 0);
          return store.readStream(name, options);
        },
        appendToStream: async (...args: Parameters<EventStore['appendToStream']>) => {
          await held.gate;
          return store.appendToStream(...args);
        },
      });
      const writer: Writer = new AggregateWriter(gated, dropDecider, schema);
      await openDrop(writer, 'busy-read', 10);
      await place(writer, 'busy-read', 'c-1', 'k-1');
      const stored = (await store.readStream(stream)).at(-1)!.revision;
      // A batch waits on its append: the cache holds c-2, the store does not.
      held.gate = new Promise<void>((resolve) => (release = resolve));
      const pending = place(writer, 'busy-read', 'c-2', 'k-2');
      await new Promise((r) => setTimeout(r, 50));
      reads.length = 0;
      const first = await writer.load(stream);
      expect(first.revision).toBe(stored);
      expect(first.state.status !== 'initial' && [...first.state.preOrders.values()].map((p) => p.customerId)).toEqual(['c-1']);
      // Another process appends; the next read folds nothing again, it reads what came after.
      await place(new AggregateWriter(store, dropDecider, schema), 'busy-read', 'c-3', 'k-3');
      const second = await writer.load(stream);
      expect(second.revision).toBe(stored + 1);
      expect(second.state.status !== 'initial' && [...second.state.preOrders.values()].map((p) => p.customerId)).toEqual(['c-1', 'c-3']);
      expect(reads).toEqual([0, stored + 1]);
      release();
      // The writer's append conflicts with c-3, it re-decides and stores c-2 after it.
      await expect(pending).resolves.toBeDefined();
      const after = await writer.load(stream);
      expect(after.state.status !== 'initial' && [...after.state.preOrders.values()].map((p) => p.customerId)).toEqual([
        'c-1',
        'c-3',
        'c-2',
      ]);
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

    it('tells its observer about batches, appends with their events, conflicts and re-decided commands', async () => {
      const seen = { batches: [] as number[], appended: [] as string[][], conflicts: 0, redecided: [] as number[] };
      const observer = {
        batch: (n: number) => void seen.batches.push(n),
        appended: (seconds: number, events: ReadonlyArray<{ type: string }>) => {
          expect(seconds).toBeGreaterThanOrEqual(0);
          seen.appended.push(events.map((e) => e.type));
        },
        conflict: () => void seen.conflicts++,
        redecided: (n: number) => void seen.redecided.push(n),
      };
      await openDrop(new AggregateWriter(store, dropDecider, schema), 'observed', 100);
      // The first append of the batch loses to "another process"; the retry is stored.
      let conflictOnce = true;
      const { store: contended } = instrumented(store, () => {
        if (!conflictOnce) return undefined;
        conflictOnce = false;
        return new WrongExpectedRevisionError(dropStreamName('observed'), 1, 2);
      });
      const writer: Writer = new AggregateWriter(contended, dropDecider, schema, { observer });
      const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => place(writer, 'observed', `c-${i}`, `k-${i}`)));
      expect(results.map((r) => r.status)).toEqual(Array(5).fill('fulfilled'));
      expect(seen.batches).toEqual([5]);
      expect(seen.conflicts).toBe(1);
      expect(seen.redecided).toEqual([5]);
      expect(seen.appended).toEqual([Array(5).fill('PreOrderPlaced')]);
    });

    it('appends a 1,000-command batch of maximal pre-orders in parts within 1 MiB that share the cap and the ladder, answering each part once it is stored', async () => {
      const limited = storeWith(MIB);
      const dropId = maxDropId('parts');
      let answered = 0;
      let answeredBeforeSecondPart: number | undefined;
      const {
        store: counted,
        appends,
        bytes,
      } = instrumented(limited, undefined, async (call) => {
        // The second part's append waits until the first part's callers have had their answers.
        if (call === 1) {
          const deadline = Date.now() + 5000;
          while (answered === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
          answeredBeforeSecondPart = answered;
        }
      });
      const setup: Writer = new AggregateWriter(limited, dropDecider, schema);
      await openMaximalDrop(setup, dropId, 900);
      // One round of 1,000 (no pipelining cut by count), so the parts are cut by size alone.
      const writer: Writer = new AggregateWriter(counted, dropDecider, schema, { minPipelinedRound: Infinity });
      const promises = Array.from({ length: 1000 }, (_, i) => placeMaximal(writer, dropId, i));
      for (const promise of promises)
        void promise.then(
          () => answered++,
          () => undefined,
        );
      const { accepted, rejected } = await settle(promises);

      expect(accepted).toHaveLength(900);
      expect(rejected).toHaveLength(100);
      for (const r of rejected) expect((r as DomainError).code).toBe('DROP.SOLD_OUT');
      // The batch was more than one append may carry, and went in parts that each fit.
      expect(bytes.reduce((a, b) => a + b, 0)).toBeGreaterThan(MIB);
      expect(appends.length).toBeGreaterThan(1);
      for (const size of bytes) expect(size).toBeLessThanOrEqual(MIB);
      expect(answeredBeforeSecondPart).toBeGreaterThan(0);
      console.log(`[writer] 1,000 maximal pre-orders under 1 MiB: appends of ${appends.join(', ')} events, ${bytes.join(', ')} bytes`);

      // Consecutive revisions, each pre-order stored once, priced by the ladder in acceptance order across the parts.
      const events = await store.readStream(dropStreamName(dropId));
      expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
      const placed = events.filter((e) => e.type === 'PreOrderPlaced');
      expect(placed.map((e) => e.data.sequence)).toEqual(placed.map((_, n) => n + 1));
      expect(placed.map((e) => e.data.unitPrice)).toEqual(placed.map((_, n) => (n < 100 ? 1000 : n < 200 ? 2000 : 3000)));
      const stored = new Map(placed.map((e) => [e.data.preOrderId as string, e]));
      expect(stored.size).toBe(900);
      for (const a of accepted) {
        const event = stored.get(a.answer.preOrderId)!;
        expect(a.answer.unitPrice).toBe(event.data.unitPrice);
        // Answered with the revision of its own part, not the batch's last.
        expect(a.revision).toBeGreaterThanOrEqual(event.revision);
      }
      expect(new Set(accepted.map((a) => a.revision)).size).toBe(appends.length);
    });

    it('re-decides only the parts not yet stored when a part loses a race to another writer', async () => {
      const limited = storeWith(65_536);
      const dropId = maxDropId('part-race');
      const other: Writer = new AggregateWriter(limited, dropDecider, schema);
      await openMaximalDrop(other, dropId, 150);
      const { store: counted, appends } = instrumented(limited, undefined, async (call) => {
        // Just before the second part: another process sells 10 units.
        if (call === 1) await Promise.all(Array.from({ length: 10 }, (_, i) => placeMaximal(other, dropId, i, 'o')));
      });
      const writer: Writer = new AggregateWriter(counted, dropDecider, schema);
      const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => placeMaximal(writer, dropId, i)));
      const accepted = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));

      expect(accepted).toHaveLength(140);
      expect(rejected).toHaveLength(60);
      for (const r of rejected) expect((r as DomainError).code).toBe('DROP.SOLD_OUT');
      const events = await store.readStream(dropStreamName(dropId));
      const placed = events.filter((e) => e.type === 'PreOrderPlaced');
      expect(placed).toHaveLength(150);
      expect(new Set(placed.map((e) => e.data.preOrderId)).size).toBe(150);
      expect(placed.map((e) => e.data.sequence)).toEqual(placed.map((_, n) => n + 1));

      // The first part was stored and answered before the race, once: its callers' revision is
      // below the other writer's events, which come right after it.
      const firstPart = appends[0];
      expect(firstPart).toBeLessThan(200);
      const firstRevision = (results[0] as PromiseFulfilledResult<{ revision: number }>).value.revision;
      for (const r of results.slice(0, firstPart))
        expect((r as PromiseFulfilledResult<{ revision: number }>).value.revision).toBe(firstRevision);
      expect(placed.slice(0, firstPart).map((e) => e.data.customerId)).toEqual(
        Array.from({ length: firstPart }, (_, i) => maxCustomerId(i)),
      );
      const theirs = placed.slice(firstPart, firstPart + 10);
      expect(theirs.map((e) => e.data.customerId)).toEqual(Array.from({ length: 10 }, (_, i) => maxCustomerId(i, 'o')));
      expect(theirs[0].revision).toBe(firstRevision + 1);
      // The rest were decided again on the state after the race: they continue the sequence.
      expect(placed.slice(firstPart + 10).map((e) => e.data.customerId)).toEqual(
        Array.from({ length: 140 - firstPart }, (_, i) => maxCustomerId(firstPart + i)),
      );
      console.log(`[writer] part race: appends of ${appends.join(', ')} events`);
    });

    it('refuses a command whose events alone exceed the limit with COMMAND.TOO_LARGE, as if it had not been sent', async () => {
      const limited = storeWith(4096);
      const writer: Writer = new AggregateWriter(limited, dropDecider, schema);
      await openDrop(writer, 'too-large', 2);
      const results = await Promise.allSettled([
        place(writer, 'too-large', 'c-1', 'k-1'),
        place(writer, 'too-large', 'c-2', 'k-2', 1, { referralCode: 'x'.repeat(5000) }),
        place(writer, 'too-large', 'c-3', 'k-3'),
        place(writer, 'too-large', 'c-4', 'k-4'),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
      const tooLarge = (results[1] as PromiseRejectedResult).reason;
      expect(tooLarge).toBeInstanceOf(CommandTooLargeError);
      expect(tooLarge).toMatchObject({ code: 'COMMAND.TOO_LARGE', maxAppendBytes: 4096 });
      expect(tooLarge.size).toBeGreaterThan(4096);
      // It took no unit: the cap of 2 went to c-1 and c-3.
      expect((results[3] as PromiseRejectedResult).reason.code).toBe('DROP.SOLD_OUT');
      const placed = (await store.readStream(dropStreamName('too-large'))).filter((e) => e.type === 'PreOrderPlaced');
      expect(placed.map((e) => e.data.customerId)).toEqual(['c-1', 'c-3']);
    });

    it('answers COMMAND.TOO_LARGE when the store refuses a lone command for its size (a server limit below maxAppendBytes)', async () => {
      // The store claims 1 MiB but refuses anything over 4 KiB, as an EventStoreDB configured below
      // EVENT_STORE_MAX_APPEND_BYTES would: the refused part is halved until the big command is alone.
      const strict = storeWith(4096);
      const lying: EventStore = {
        maxAppendBytes: MIB,
        appendSize: (events) => strict.appendSize(events),
        appendToStream: (streamName, events, expected) => strict.appendToStream(streamName, events, expected),
        readStream: (streamName, options) => strict.readStream(streamName, options),
        readAll: (options) => strict.readAll(options),
        subscribeToAll: (options) => strict.subscribeToAll(options),
        comparePositions: (a, b) => strict.comparePositions(a, b),
        headRecordedAt: () => strict.headRecordedAt(),
        close: async () => undefined,
      };
      const writer: Writer = new AggregateWriter(lying, dropDecider, schema);
      await openDrop(writer, 'server-limit', 10);
      const results = await Promise.allSettled([
        place(writer, 'server-limit', 'c-1', 'k-1'),
        place(writer, 'server-limit', 'c-2', 'k-2', 1, { referralCode: 'x'.repeat(5000) }),
        place(writer, 'server-limit', 'c-3', 'k-3'),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'COMMAND.TOO_LARGE', maxAppendBytes: 4096 });
    });

    it('refuses to fold a stream that does not start at revision 0 or has a gap, with STREAM.NOT_CONTIGUOUS, and caches nothing', async () => {
      const writer: Writer = new AggregateWriter(store, dropDecider, schema);
      for (const [dropId, damage] of [
        // What $maxCount/$maxAge truncation or a soft delete leaves: the stream starts at revision 3.
        ['truncated', 'revision < 3'],
        ['gap', 'revision = 2'],
      ] as const) {
        await openDrop(writer, dropId, 10);
        await place(writer, dropId, 'c-1', 'k-1');
        await place(writer, dropId, 'c-2', 'k-2');
        await pool.query(`DELETE FROM events WHERE stream_name = $1 AND ${damage}`, [dropStreamName(dropId)]);

        // A fresh writer folds from the start.
        const fresh: Writer = new AggregateWriter(store, dropDecider, schema);
        await expect(place(fresh, dropId, 'c-3', 'k-3')).rejects.toMatchObject({
          code: 'STREAM.NOT_CONTIGUOUS',
          expectedRevision: dropId === 'gap' ? 2 : 0,
          actualRevision: 3,
        });
        expect(fresh.cachedState(dropStreamName(dropId))).toBeUndefined();
        await expect(fresh.load(dropStreamName(dropId))).rejects.toBeInstanceOf(StreamNotContiguousError);
        // Still refused on the next command: nothing was cached.
        await expect(place(fresh, dropId, 'c-4', 'k-4')).rejects.toBeInstanceOf(StreamNotContiguousError);
      }

      // A warm writer catching up across a gap refuses too, and drops its cache.
      await openDrop(writer, 'warm-gap', 10);
      await place(writer, 'warm-gap', 'c-1', 'k-1');
      const other: Writer = new AggregateWriter(store, dropDecider, schema);
      await place(other, 'warm-gap', 'c-2', 'k-2');
      await place(other, 'warm-gap', 'c-3', 'k-3');
      await pool.query(`DELETE FROM events WHERE stream_name = $1 AND revision = 3`, [dropStreamName('warm-gap')]);
      await expect(writer.load(dropStreamName('warm-gap'))).rejects.toMatchObject({ code: 'STREAM.NOT_CONTIGUOUS' });
      expect(writer.cachedState(dropStreamName('warm-gap'))).toBeUndefined();
      await expect(place(writer, 'warm-gap', 'c-4', 'k-4')).rejects.toMatchObject({ code: 'STREAM.NOT_CONTIGUOUS' });
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
  return {
    store: new PostgresEventStore(db.pool),
    storeWith: (maxAppendBytes) => new PostgresEventStore(db.pool, { maxAppendBytes }),
    pool: db.pool,
    close: () => db.close(),
  };
});

describe('PostgreSQL', () => {
  requirePostgres();
  behavesLikeTheBatchedCommandPath('PostgreSQL', async () => {
    const db = await createTestPostgresDatabase('writer');
    await ensureEventStoreSchema(db.pool);
    const store = new PostgresEventStore(db.pool);
    return {
      store,
      storeWith: (maxAppendBytes) => new PostgresEventStore(db.pool, { maxAppendBytes }),
      pool: db.pool,
      close: async () => {
        await store.close();
        await db.drop();
      },
    };
  });
});
