import { randomUUID } from 'node:crypto';
import {
  AppendTooLargeError,
  WrongExpectedRevisionError,
  type EventFilter,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type Subscription,
} from './event-store.port';

/** What a contract run needs: a store and how to dispose of it. */
export interface ContractStore {
  store: EventStore;
  dispose(): Promise<void>;
}

/**
 * The behaviour every EventStore adapter must share, registered as jest describe blocks.
 * One store serves the whole suite (an EventStoreDB cannot be reset), so every test uses its own
 * stream names and reads the global log only from a position taken at its start.
 */
export function describeEventStoreContract(
  name: string,
  createStore: () => Promise<ContractStore>,
  /** Whether the adapter has readEvent/readCausedBy (PostgreSQL/PGlite do; EventStoreDB does not: docs/event-store.md). */
  options: { lookups: boolean } = { lookups: true },
): void {
  describe(`EventStore contract: ${name}`, () => {
    jest.setTimeout(30_000);
    let subject: ContractStore;
    let store: EventStore;
    const run = randomUUID().slice(0, 8);
    let counter = 0;
    const streamName = (category = 'contract') => `${category}${run}-${++counter}`;

    beforeAll(async () => {
      subject = await createStore();
      store = subject.store;
    }, 60_000);
    afterAll(async () => {
      await subject?.dispose();
    });

    /** Position of the current end of the global log, so a test can read only what it wrote. */
    async function endOfLog(): Promise<string | undefined> {
      let position: string | undefined;
      for (;;) {
        const page = await store.readAll({ fromPosition: position, maxCount: 10_000 });
        position = page.position;
        if (page.isEnd) return position;
      }
    }

    /**
     * Reads the global log after `from` (in small pages, to exercise paging) until at least
     * `expected` events are there. An append is not visible in the global log at once on every
     * store: PostgreSQL waits for the cluster-wide safe horizon, EventStoreDB for its index.
     */
    async function readAllFrom(from: string | undefined, expected: number, filter?: EventFilter, maxCount = 3): Promise<RecordedEvent[]> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const events: RecordedEvent[] = [];
        let position = from;
        for (;;) {
          const page = await store.readAll({ fromPosition: position, maxCount, filter });
          events.push(...page.events);
          position = page.position;
          if (page.isEnd) break;
        }
        if (events.length >= expected || Date.now() > deadline) return events;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    describe('appendToStream and readStream', () => {
      it('appends to a new stream and reads it forwards with the full envelope', async () => {
        const stream = streamName();
        const events = [newEvent('ItemAdded', { n: 1 }), newEvent('ItemAdded', { n: 2 }), newEvent('ItemRemoved', { n: 3 })];
        const result = await store.appendToStream(stream, events, 'no_stream');
        expect(result.nextExpectedRevision).toBe(2);

        const read = await store.readStream(stream);
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(read.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
        expect(read[2].position).toBe(result.position);
        expect(read[0]).toMatchObject({
          streamName: stream,
          eventId: events[0].eventId,
          type: 'ItemAdded',
          schemaVersion: 2,
          metadata: events[0].metadata,
        });
        expect(Number.isNaN(Date.parse(read[0].recordedAt))).toBe(false);
        expect(Math.abs(Date.parse(read[0].recordedAt) - Date.now())).toBeLessThan(60_000);
      });

      it('round-trips the envelope, including a null causationId and nested data', async () => {
        const stream = streamName();
        const event: NewEvent = {
          eventId: randomUUID(),
          type: 'PreOrderPlaced',
          schemaVersion: 3,
          data: { dropId: 'd-1', lines: [{ sku: 'A', qty: 2 }], note: 'ünïcode "quoted" \\ slash', placedAt: '2026-01-01T00:00:00.000Z' },
          metadata: {
            correlationId: randomUUID(),
            causationId: null,
            actor: 'system:scheduler',
            occurredAt: '2026-01-01T00:00:00.000Z',
            traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          },
        };
        await store.appendToStream(stream, [event], 'any');
        const [read] = await store.readStream(stream);
        expect(read).toMatchObject({ ...event, streamName: stream, revision: 0 });
      });

      it('reads backwards, from a revision, with maxCount', async () => {
        const stream = streamName();
        await store.appendToStream(
          stream,
          range(5).map((n) => newEvent('Counted', { n })),
          'no_stream',
        );
        expect((await store.readStream(stream, { direction: 'backwards' })).map((e) => e.revision)).toEqual([4, 3, 2, 1, 0]);
        expect((await store.readStream(stream, { direction: 'backwards', fromRevision: 3, maxCount: 2 })).map((e) => e.revision)).toEqual([
          3, 2,
        ]);
        expect((await store.readStream(stream, { fromRevision: 2 })).map((e) => e.revision)).toEqual([2, 3, 4]);
        expect((await store.readStream(stream, { fromRevision: 1, maxCount: 2 })).map((e) => e.revision)).toEqual([1, 2]);
      });

      it('orders revisions numerically past 9 in both directions', async () => {
        const stream = streamName();
        await store.appendToStream(
          stream,
          range(12).map((n) => newEvent('Counted', { n })),
          'no_stream',
        );
        expect((await store.readStream(stream)).map((e) => e.revision)).toEqual(range(12));
        expect((await store.readStream(stream, { direction: 'backwards', maxCount: 3 })).map((e) => e.revision)).toEqual([11, 10, 9]);
      });

      it('returns [] for a stream that does not exist', async () => {
        expect(await store.readStream(streamName())).toEqual([]);
        expect(await store.readStream(streamName(), { direction: 'backwards' })).toEqual([]);
      });
    });

    describe('expected revision', () => {
      it('no_stream: succeeds on a new stream, conflicts with actual revision on an existing one', async () => {
        const stream = streamName();
        await store.appendToStream(stream, [newEvent()], 'no_stream');
        const error = await store.appendToStream(stream, [newEvent()], 'no_stream').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamName: stream, expected: 'no_stream', actual: 0, code: 'STORE.WRONG_EXPECTED_REVISION' });
      });

      it('-1 means no stream', async () => {
        const stream = streamName();
        await expect(store.appendToStream(stream, [newEvent()], -1)).resolves.toMatchObject({ nextExpectedRevision: 0 });
        await expect(store.appendToStream(stream, [newEvent()], -1)).rejects.toMatchObject({ actual: 0, expected: -1 });
      });

      it('stream_exists: conflicts on a new stream with actual -1, succeeds on an existing one', async () => {
        const stream = streamName();
        const error = await store.appendToStream(stream, [newEvent()], 'stream_exists').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect((error as WrongExpectedRevisionError).actual).toBe(-1);
        await store.appendToStream(stream, [newEvent()], 'no_stream');
        await expect(store.appendToStream(stream, [newEvent()], 'stream_exists')).resolves.toMatchObject({ nextExpectedRevision: 1 });
      });

      it('any: appends whatever the stream looks like', async () => {
        const stream = streamName();
        await expect(store.appendToStream(stream, [newEvent()], 'any')).resolves.toMatchObject({ nextExpectedRevision: 0 });
        await expect(store.appendToStream(stream, [newEvent(), newEvent()], 'any')).resolves.toMatchObject({ nextExpectedRevision: 2 });
      });

      it('exact revision: succeeds when it matches, conflicts (with the actual revision) when stale or ahead', async () => {
        const stream = streamName();
        const first = await store.appendToStream(stream, [newEvent(), newEvent()], 'no_stream');
        const second = await store.appendToStream(stream, [newEvent()], first.nextExpectedRevision);
        expect(second.nextExpectedRevision).toBe(2);
        await expect(store.appendToStream(stream, [newEvent()], 1)).rejects.toMatchObject({
          name: 'WrongExpectedRevisionError',
          expected: 1,
          actual: 2,
        });
        await expect(store.appendToStream(stream, [newEvent()], 7)).rejects.toMatchObject({ expected: 7, actual: 2 });
        await expect(store.appendToStream(streamName(), [newEvent()], 0)).rejects.toMatchObject({ expected: 0, actual: -1 });
      });

      it('a conflicting append writes nothing, not even part of its batch', async () => {
        const stream = streamName();
        const start = await endOfLog();
        await store.appendToStream(stream, [newEvent('A', { n: 0 })], 'no_stream');
        // From the first event as the log shows it (it may show there a moment after the append).
        const [{ position: from }] = await readAllFrom(start, 1, { streamPrefixes: [stream] });
        await expect(store.appendToStream(stream, [newEvent('B'), newEvent('B'), newEvent('B')], 5)).rejects.toBeInstanceOf(
          WrongExpectedRevisionError,
        );
        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A']);
        // Absence cannot be awaited: append a marker after the failed batch and wait for it instead.
        await store.appendToStream(`${stream}-marker`, [newEvent('Marker')], 'no_stream');
        const after = await readAllFrom(from, 1, { streamPrefixes: [stream] });
        expect(after.map((e) => e.type)).toEqual(['Marker']);
      });

      it('concurrent appenders with the same expected revision: exactly one wins each revision', async () => {
        const stream = streamName();
        await store.appendToStream(stream, [newEvent()], 'no_stream');
        for (let round = 0; round < 3; round++) {
          const expected = round;
          const attempts = await Promise.allSettled(
            range(8).map((i) => store.appendToStream(stream, [newEvent('Raced', { round, i })], expected)),
          );
          const winners = attempts.filter((a) => a.status === 'fulfilled');
          const losers = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
          expect(winners).toHaveLength(1);
          expect(losers).toHaveLength(7);
          for (const loser of losers) expect(loser.reason).toBeInstanceOf(WrongExpectedRevisionError);
        }
        const read = await store.readStream(stream);
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
      });
    });

    describe('append size', () => {
      it('measures an append as the sum of its events, counting bytes rather than characters', async () => {
        const plain = newEvent('ItemAdded', { text: 'abc' });
        const wide = newEvent('ItemAdded', { text: 'é€😀' }); // 2 + 3 + 4 bytes in UTF-8, 4 UTF-16 code units
        expect(store.appendSize([])).toBe(0);
        expect(store.appendSize([plain, wide])).toBe(store.appendSize([plain]) + store.appendSize([wide]));
        expect(store.appendSize([wide]) - store.appendSize([plain])).toBe(9 - 3);
        expect(store.appendSize([plain])).toBeGreaterThan(JSON.stringify(plain.data).length + JSON.stringify(plain.metadata).length);
        expect(Number.isSafeInteger(store.maxAppendBytes) && store.maxAppendBytes > 0).toBe(true);
      });

      it('refuses an append over maxAppendBytes with STORE.APPEND_TOO_LARGE and writes nothing of it', async () => {
        const stream = streamName();
        await store.appendToStream(stream, [newEvent('ItemAdded', { n: 1 })], 'no_stream');
        // The data alone is over the limit, so every way of counting refuses it.
        const half = Math.ceil(store.maxAppendBytes / 2);
        const big = range(3).map((n) => newEvent('Big', { n, blob: 'x'.repeat(half) }));
        const refused = store.appendToStream(stream, big, 0);
        await expect(refused).rejects.toBeInstanceOf(AppendTooLargeError);
        await expect(refused).rejects.toMatchObject({ code: 'STORE.APPEND_TOO_LARGE', streamName: stream });
        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['ItemAdded']);
        // The stream stays usable at the same revision.
        expect((await store.appendToStream(stream, [newEvent('ItemAdded', { n: 2 })], 0)).nextExpectedRevision).toBe(1);
      });
    });

    describe('readAll', () => {
      it('pages the global log in append order, resuming from the returned position', async () => {
        const from = await endOfLog();
        const a = streamName('paging');
        const b = streamName('paging');
        await store.appendToStream(
          a,
          range(4).map((n) => newEvent('Paged', { n })),
          'no_stream',
        );
        await store.appendToStream(
          b,
          range(3).map((n) => newEvent('Paged', { n: 10 + n })),
          'no_stream',
        );
        await store.appendToStream(a, [newEvent('Paged', { n: 4 })], 3);

        const events = (await readAllFrom(from, 8, undefined, 2)).filter((e) => e.streamName === a || e.streamName === b);
        expect(events.map((e) => e.data.n)).toEqual([0, 1, 2, 3, 10, 11, 12, 4]);
        const positions = events.map((e) => e.position);
        for (let i = 1; i < positions.length; i++) expect(store.comparePositions(positions[i - 1], positions[i])).toBeLessThan(0);
        expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
      });

      it('returns a position past the non-matching events it scanned, so no read scans them twice', async () => {
        const from = await endOfLog();
        const wanted = streamName('end');
        const other = streamName('other');
        await store.appendToStream(wanted, [newEvent('Wanted')], 'no_stream');
        await store.appendToStream(
          other,
          range(5).map(() => newEvent('Other')),
          'no_stream',
        );
        const [mine] = await readAllFrom(from, 1, { streamPrefixes: [wanted] });
        const others = await readAllFrom(from, 5, { streamPrefixes: [other] });
        expect(others).toHaveLength(5);
        const filter = { streamPrefixes: [wanted] };
        // Nothing after `mine` matches; the reads still pass the other stream's events.
        let position = mine.position;
        for (;;) {
          const page = await store.readAll({ fromPosition: position, maxCount: 10, filter });
          expect(page.events).toEqual([]);
          expect(page.position).toBeDefined();
          position = page.position!;
          if (page.isEnd) break;
        }
        expect(store.comparePositions(position, others[4].position)).toBeGreaterThanOrEqual(0);
        // A poll that finds nothing new starts there, and never goes back (other writers may move it on).
        const again = await store.readAll({ fromPosition: position, maxCount: 10, filter });
        expect(again).toMatchObject({ events: [], isEnd: true });
        expect(store.comparePositions(again.position!, position)).toBeGreaterThanOrEqual(0);
      });

      // Where the filter runs differs: in SQL on PostgreSQL; on EventStoreDB readAll filters in the
      // adapter over fixed-size raw pages of $all (the v6 client cannot filter reads on the server)
      // and subscribeToAll filters on the server by event type or stream prefix (docs/event-store.md).
      it('filters by stream prefix and by event type (ORed within a list, ANDed across)', async () => {
        const from = await endOfLog();
        const prefix = `filter${run}x${++counter}`;
        await store.appendToStream(`${prefix}drop-1`, [newEvent('DropOpened'), newEvent('PreOrderPlaced')], 'no_stream');
        await store.appendToStream(`${prefix}return-1`, [newEvent('ReturnRequested')], 'no_stream');
        await store.appendToStream(`${prefix}other-1`, [newEvent('PreOrderPlaced')], 'no_stream');
        // A prefix with LIKE wildcards must match literally.
        await store.appendToStream(`${prefix}dr_p-1`, [newEvent('DropOpened')], 'no_stream');

        const byPrefix = await readAllFrom(from, 3, { streamPrefixes: [`${prefix}drop-`, `${prefix}return-`] });
        expect(byPrefix.map((e) => `${e.streamName}:${e.type}`)).toEqual([
          `${prefix}drop-1:DropOpened`,
          `${prefix}drop-1:PreOrderPlaced`,
          `${prefix}return-1:ReturnRequested`,
        ]);
        const byBoth = await readAllFrom(from, 3, { streamPrefixes: [prefix], eventTypes: ['PreOrderPlaced', 'ReturnRequested'] });
        expect(byBoth.map((e) => `${e.streamName}:${e.type}`)).toEqual([
          `${prefix}drop-1:PreOrderPlaced`,
          `${prefix}return-1:ReturnRequested`,
          `${prefix}other-1:PreOrderPlaced`,
        ]);
      });

      it('counts the events after a position', async () => {
        const countAfter = store.countAfter?.bind(store);
        expect(countAfter).toBeDefined();
        const from = await endOfLog();
        const stream = streamName();
        await store.appendToStream(
          stream,
          range(3).map(() => newEvent()),
          'no_stream',
        );
        await readAllFrom(from, 3, { streamPrefixes: [stream] });
        const end = await endOfLog();
        // Other suites may write concurrently to a shared server, so at least, not exactly: counted
        // later, the events after `from` are the three plus at least what followed `end` before.
        const afterEnd = await countAfter!(end);
        expect(await countAfter!(from)).toBeGreaterThanOrEqual(afterEnd + 3);
      });

      it('counts only the events a filter passes (what a reader would handle), with the same rules as readAll', async () => {
        const from = await endOfLog();
        const prefix = `count${run}x${++counter}`;
        await store.appendToStream(`${prefix}drop-1`, [newEvent('DropOpened'), newEvent('PreOrderPlaced')], 'no_stream');
        await store.appendToStream(
          `${prefix}visits-1`,
          range(5).map(() => newEvent('VisitsRecorded')),
          'no_stream',
        );
        await store.appendToStream(`${prefix}dr_p-1`, [newEvent('DropOpened')], 'no_stream');
        await readAllFrom(from, 3, { streamPrefixes: [`${prefix}drop-`, `${prefix}dr_p-`] });
        expect(await store.countAfter!(from, { streamPrefixes: [`${prefix}drop-`] })).toBe(2);
        expect(await store.countAfter!(from, { streamPrefixes: [prefix], eventTypes: ['DropOpened'] })).toBe(2);
        expect(await store.countAfter!(from, { streamPrefixes: [`${prefix}visits-`] })).toBe(5);
        expect(await store.countAfter!(from, { streamPrefixes: [`${prefix}none-`] })).toBe(0);
      });
    });

    describe('headRecordedAt', () => {
      it('is the recorded time of the last event in the global log, for lag in seconds', async () => {
        const stream = streamName();
        await store.appendToStream(stream, [newEvent()], 'no_stream');
        const [appended] = await store.readStream(stream);
        const head = await store.headRecordedAt();
        expect(head).toEqual(expect.any(String));
        // Later writes (other suites on a shared server, EventStoreDB's own events) may follow it: at least, not exactly.
        expect(Date.parse(head!)).toBeGreaterThanOrEqual(Date.parse(appended.recordedAt));
        expect(Math.abs(Date.parse(head!) - Date.now())).toBeLessThan(60_000);
      });
    });

    describe('causation lookups', () => {
      if (!options.lookups) {
        it('has none, so the /events routes refuse with 501 instead of scanning the log', () => {
          expect(store.readEvent).toBeUndefined();
          expect(store.readCausedBy).toBeUndefined();
        });
        return;
      }
      it('reads one event by id, and nothing for an unknown or malformed id', async () => {
        const stream = streamName();
        const event = newEvent('Looked', { n: 1 });
        await store.appendToStream(stream, [newEvent(), event], 'no_stream');
        const found = await store.readEvent!(event.eventId);
        expect(found).toMatchObject({ eventId: event.eventId, type: 'Looked', streamName: stream, revision: 1, metadata: event.metadata });
        expect(await store.readEvent!(randomUUID())).toBeUndefined();
        expect(await store.readEvent!('not-a-uuid')).toBeUndefined();
      });

      it('reads the events that name a causation id, across streams, in log order and paged', async () => {
        const cause = randomUUID();
        const caused = (n: number) => {
          const e = newEvent('Effect', { n });
          return { ...e, metadata: { ...e.metadata, causationId: cause } };
        };
        const a = streamName();
        const b = streamName();
        await store.appendToStream(a, [caused(0), newEvent('Unrelated'), caused(1)], 'no_stream');
        await store.appendToStream(b, [caused(2)], 'no_stream');
        await store.appendToStream(a, [caused(3)], 2);
        const all = await store.readCausedBy!(cause, { maxCount: 10 });
        expect(all.map((e) => e.data.n)).toEqual([0, 1, 2, 3]);
        const first = await store.readCausedBy!(cause, { maxCount: 3 });
        expect(first.map((e) => e.data.n)).toEqual([0, 1, 2]);
        const rest = await store.readCausedBy!(cause, { after: first[2].position, maxCount: 3 });
        expect(rest.map((e) => e.data.n)).toEqual([3]);
        expect(await store.readCausedBy!(randomUUID(), { maxCount: 3 })).toEqual([]);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up on past events, then delivers live ones, in order and once', async () => {
        const from = await endOfLog();
        const stream = streamName('sub');
        await store.appendToStream(
          stream,
          range(5).map((n) => newEvent('Past', { n })),
          'no_stream',
        );
        const subscription = store.subscribeToAll({ fromPosition: from, filter: { streamPrefixes: [stream] }, batchSize: 2 });
        try {
          const received = collect(subscription, 10);
          await waitFor(() => received.events.length >= 5);
          await store.appendToStream(
            stream,
            range(5).map((n) => newEvent('Live', { n: 5 + n })),
            4,
          );
          const events = await received.done;
          expect(events.map((e) => e.data.n)).toEqual(range(10));
          expect(events.map((e) => e.revision)).toEqual(range(10));
        } finally {
          await subscription.close();
        }
      });

      it('resumes after a position without repeating it, and close() ends the iteration', async () => {
        const stream = streamName('resume');
        const from = await endOfLog();
        await store.appendToStream(
          stream,
          range(4).map((n) => newEvent('E', { n })),
          'no_stream',
        );
        const [, second] = await readAllFrom(from, 4, { streamPrefixes: [stream] });
        const subscription = store.subscribeToAll({
          fromPosition: second.position,
          filter: { eventTypes: ['E'], streamPrefixes: [stream] },
        });
        const seen: number[] = [];
        const iteration = (async () => {
          for await (const event of subscription) {
            seen.push(event.data.n as number);
            if (seen.length === 2) void subscription.close();
          }
        })();
        await iteration;
        expect(seen).toEqual([2, 3]);
      });
    });
  });
}

/** A NewEvent with a fresh id and a complete envelope. */
export function newEvent(type = 'Something', data: Record<string, unknown> = {}): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 2,
    data,
    metadata: {
      correlationId: randomUUID(),
      causationId: randomUUID(),
      actor: 'user:contract',
      occurredAt: new Date('2026-03-01T12:00:00.000Z').toISOString(),
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    },
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function collect(subscription: Subscription, count: number): { events: RecordedEvent[]; done: Promise<RecordedEvent[]> } {
  const events: RecordedEvent[] = [];
  const done = (async () => {
    for await (const event of subscription) {
      events.push(event);
      if (events.length === count) break;
    }
    return events;
  })();
  return { events, done };
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
