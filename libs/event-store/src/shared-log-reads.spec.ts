import type { EventFilter, EventStore, NewEvent, ReadAllOptions, ReadAllResult, RecordedEvent } from './event-store.port';
import { SharedLogReads } from './shared-log-reads';

/**
 * A global log in memory with the port's readAll semantics (positions are 1-based event numbers),
 * whose reads can be held open to line callers up deterministically.
 */
class LogInMemory {
  readonly log: RecordedEvent[] = [];
  reads: ReadAllOptions[] = [];
  failNext: Error | undefined;
  private held: Array<() => void> | undefined;

  append(streamName: string, type: string): void {
    const position = String(this.log.length + 1);
    this.log.push({
      eventId: `e${position}`,
      type,
      schemaVersion: 1,
      data: { n: Number(position) },
      metadata: { correlationId: 'c', causationId: null, actor: 'test', occurredAt: '2026-01-01T00:00:00.000Z', traceparent: '' },
      streamName,
      revision: 0,
      position,
      recordedAt: '2026-01-01T00:00:00.000Z',
    });
  }

  /** Reads wait until release() (each read takes its snapshot of the log when it is released). */
  hold(): void {
    this.held = [];
  }

  /** Lets the held reads go; with keepHolding, reads sent from now on are held again. */
  release(keepHolding = false): void {
    const waiting = this.held ?? [];
    this.held = keepHolding ? [] : undefined;
    for (const go of waiting) go();
  }

  readonly store: EventStore = {
    maxAppendBytes: 1,
    appendSize: () => 0,
    appendToStream: (streamName, events) => {
      for (const event of events) this.append(streamName, event.type);
      return Promise.resolve({ nextExpectedRevision: 0, position: String(this.log.length) });
    },
    readStream: () => Promise.resolve([]),
    subscribeToAll: () => {
      throw new Error('not here');
    },
    comparePositions: (a, b) => Number(a) - Number(b),
    headRecordedAt: () => Promise.resolve(undefined),
    close: () => Promise.resolve(),
    readAll: async (options = {}) => {
      this.reads.push(options);
      if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
      if (this.failNext) {
        const error = this.failNext;
        this.failNext = undefined;
        throw error;
      }
      return this.read(options);
    },
  };

  read({ fromPosition, maxCount = 1000, filter }: ReadAllOptions): ReadAllResult {
    const events: RecordedEvent[] = [];
    let position = fromPosition;
    for (let i = fromPosition === undefined ? 0 : Number(fromPosition); i < this.log.length; i++) {
      const event = this.log[i];
      position = event.position;
      if (filter?.eventTypes && !filter.eventTypes.includes(event.type)) continue;
      if (filter?.streamPrefixes && !filter.streamPrefixes.some((p) => event.streamName.startsWith(p))) continue;
      events.push(event);
      if (events.length >= maxCount) return { events, position, isEnd: false };
    }
    return { events, position, isEnd: true };
  }
}

const newEventOf = (type: string): NewEvent => ({
  eventId: `new-${type}`,
  type,
  schemaVersion: 1,
  data: {},
  metadata: { correlationId: 'c', causationId: null, actor: 'test', occurredAt: '2026-01-01T00:00:00.000Z', traceparent: '' },
});

/** Everything after `from` a reader gets by paging to the end. */
async function readToEnd(store: EventStore, from: string | undefined, maxCount: number, filter?: EventFilter) {
  const events: RecordedEvent[] = [];
  let position = from;
  for (;;) {
    const page = await store.readAll({ fromPosition: position, maxCount, ...(filter ? { filter } : {}) });
    events.push(...page.events);
    position = page.position;
    if (page.isEnd) return { events: events.map((e) => e.position), position };
  }
}

describe('SharedLogReads (one read of the log for every reader of a process)', () => {
  const filters: Array<EventFilter | undefined> = [
    undefined,
    { streamPrefixes: ['drop-'] },
    { eventTypes: ['B'] },
    { streamPrefixes: ['return-', 'drop-b'], eventTypes: ['A', 'C'] },
    { eventTypes: [] },
  ];

  function logOf(count: number): LogInMemory {
    const memory = new LogInMemory();
    const streams = ['drop-a', 'drop-b', 'return-x'];
    for (let i = 0; i < count; i++) memory.append(streams[i % 3], 'ABC'[(i * 7) % 3]);
    return memory;
  }

  it('answers every filter and page size with exactly what the inner store answers', async () => {
    const memory = logOf(250);
    for (const filter of filters)
      for (const maxCount of [1, 7, 100, 1000])
        for (const from of [undefined, '1', '120']) {
          const shared = new SharedLogReads(memory.store, { readCount: 50 });
          expect(await readToEnd(shared, from, maxCount, filter)).toEqual(await readToEnd(memory.store, from, maxCount, filter));
        }
  });

  it('lets readers waiting at the end of the window share one read of the inner store', async () => {
    const memory = logOf(30);
    const shared = new SharedLogReads(memory.store);
    await readToEnd(shared, undefined, 100);
    const position = '30';
    for (let i = 0; i < 10; i++) memory.append('drop-a', 'A');
    memory.reads = [];
    memory.hold();
    const readers = filters.map((filter) => shared.readAll({ fromPosition: position, maxCount: 100, ...(filter ? { filter } : {}) }));
    await new Promise((resolve) => setImmediate(resolve));
    memory.release();
    const pages = await Promise.all(readers);
    // Five readers, one read of the inner store, and each got its own filter's share of the new events.
    expect(memory.reads).toHaveLength(1);
    expect(memory.reads[0]).toEqual({ fromPosition: '30', maxCount: 1000 });
    expect(pages.map((p) => p.events.length)).toEqual([10, 10, 0, 0, 0]);
    expect(pages.every((p) => p.isEnd && p.position === '40')).toBe(true);
  });

  it('never answers the end from a read sent before an append it follows: the append is seen', async () => {
    const memory = logOf(5);
    const shared = new SharedLogReads(memory.store);
    await readToEnd(shared, undefined, 100);
    memory.reads = [];
    memory.hold();
    // A reader at the end sends a read, which the store answers before the append below.
    const before = shared.readAll({ fromPosition: '5', maxCount: 100 });
    await new Promise((resolve) => setImmediate(resolve));
    memory.release(true);
    await new Promise((resolve) => setImmediate(resolve));
    // Appended through the shared store, then read while the old read is still in flight.
    await shared.appendToStream('drop-a', [newEventOf('A')], 'any');
    const after = shared.readAll({ fromPosition: '5', maxCount: 100 });
    memory.release(true);
    expect(await before).toEqual({ events: [], position: '5', isEnd: true });
    await new Promise((resolve) => setImmediate(resolve));
    memory.release();
    // It joined the old read, and read again rather than take that read's end.
    const page = await after;
    expect(page.events.map((e) => e.position)).toEqual(['6']);
    expect(page.isEnd).toBe(true);
    expect(memory.reads).toHaveLength(2);
  });

  it('answers a fresh read from the inner store, and later reads too: a row fixed there by hand is seen', async () => {
    const memory = logOf(20);
    const shared = new SharedLogReads(memory.store);
    await readToEnd(shared, undefined, 100);
    const typeOf15 = async (fresh?: boolean) =>
      (await shared.readAll({ fromPosition: '10', maxCount: 100, ...(fresh ? { fresh } : {}) })).events.find((e) => e.position === '15')
        ?.type;
    const before = await typeOf15();
    memory.log[14] = { ...memory.log[14], type: 'FIXED' };
    expect(await typeOf15()).toBe(before);
    expect(await typeOf15(true)).toBe('FIXED');
    expect(await typeOf15()).toBe('FIXED');
  });

  it('does not hand a reader the end of an extension a fresh read made the window drop', async () => {
    const memory = logOf(20);
    const shared = new SharedLogReads(memory.store);
    await readToEnd(shared, undefined, 100);
    for (let i = 0; i < 5; i++) memory.append('drop-a', 'A');
    memory.hold();
    // A reader at the window's end extends it (held); a fresh read cuts the window back to 10;
    // a reader at 7 then joins the extension, whose events the window no longer takes.
    const atEnd = shared.readAll({ fromPosition: '20', maxCount: 100 });
    await new Promise((resolve) => setImmediate(resolve));
    const fresh = shared.readAll({ fromPosition: '10', maxCount: 100, fresh: true });
    const behind = shared.readAll({ fromPosition: '7', maxCount: 100 });
    await new Promise((resolve) => setImmediate(resolve));
    memory.release();
    // Its position left the window with the cut: it gets what it has, not an end.
    expect(await atEnd).toEqual({ events: [], position: '20', isEnd: false });
    expect((await fresh).events).toHaveLength(15);
    const page = await behind;
    expect(page.events.map((e) => Number(e.position))).toEqual(Array.from({ length: 18 }, (_, i) => i + 8));
    expect(page.isEnd).toBe(true);
  });

  it('sends a reader behind the window to the inner store, with its filter', async () => {
    const memory = logOf(100);
    const shared = new SharedLogReads(memory.store, { windowSize: 40, readCount: 20 });
    await readToEnd(shared, undefined, 10);
    memory.reads = [];
    const behind = await shared.readAll({ fromPosition: '3', maxCount: 5, filter: { eventTypes: ['B'] } });
    expect(behind).toEqual(memory.read({ fromPosition: '3', maxCount: 5, filter: { eventTypes: ['B'] } }));
    expect(memory.reads).toEqual([{ fromPosition: '3', maxCount: 5, filter: { eventTypes: ['B'] } }]);
    // A reader inside the window (it keeps the newest 30 of 100) is answered from it.
    memory.reads = [];
    const inside = await shared.readAll({ fromPosition: '80', maxCount: 5 });
    expect(inside.events.map((e) => e.position)).toEqual(['81', '82', '83', '84', '85']);
    expect(memory.reads).toEqual([]);
  });

  it('keeps only its newest 1,000 events once the log has been idle for 5 s', async () => {
    const memory = logOf(3_000);
    const shared = new SharedLogReads(memory.store);
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      await readToEnd(shared, undefined, 1_000);
      now += 6_000;
      // An idle read at the end: nothing new for 6 s.
      expect(await shared.readAll({ fromPosition: '3000', maxCount: 10 })).toEqual({ events: [], position: '3000', isEnd: true });
      memory.reads = [];
      // Inside the newest 1,000: from the window. Before them: from the store.
      expect((await shared.readAll({ fromPosition: '2500', maxCount: 2 })).events.map((e) => e.position)).toEqual(['2501', '2502']);
      expect(memory.reads).toEqual([]);
      expect((await shared.readAll({ fromPosition: '1500', maxCount: 2 })).events.map((e) => e.position)).toEqual(['1501', '1502']);
      expect(memory.reads).toEqual([{ fromPosition: '1500', maxCount: 2 }]);
    } finally {
      clock.mockRestore();
    }
  });

  describe('as the sole writer (soleWriterRecheckMs)', () => {
    let now = 1_000_000;
    let clock: jest.SpyInstance;
    beforeEach(() => (clock = jest.spyOn(Date, 'now').mockImplementation(() => now)));
    afterEach(() => clock.mockRestore());
    const idlePoll = (shared: SharedLogReads, from: string) =>
      shared.readAll({ fromPosition: from, maxCount: 100, filter: { eventTypes: ['A'] } });

    it('answers a caught-up reader’s polls from memory until an append through it ends, then reads once', async () => {
      const memory = logOf(10);
      const shared = new SharedLogReads(memory.store, { soleWriterRecheckMs: 1_000 });
      await readToEnd(shared, undefined, 100);
      memory.reads = [];
      for (let i = 0; i < 20; i++) expect(await idlePoll(shared, '10')).toEqual({ events: [], position: '10', isEnd: true });
      expect(memory.reads).toEqual([]);
      await shared.appendToStream('drop-a', [newEventOf('A')], 'any');
      const page = await idlePoll(shared, '10');
      expect(page.events.map((e) => e.position)).toEqual(['11']);
      expect(page.isEnd).toBe(true);
      expect(memory.reads).toHaveLength(1);
      // Caught up again: from memory again.
      expect(await idlePoll(shared, '11')).toEqual({ events: [], position: '11', isEnd: true });
      expect(memory.reads).toHaveLength(1);
    });

    it('counts a failed append too (it may have committed)', async () => {
      const memory = logOf(3);
      const failing: EventStore = {
        ...memory.store,
        appendToStream: (streamName, events) => {
          for (const event of events) memory.append(streamName, event.type);
          return Promise.reject(new Error('connection lost after COMMIT'));
        },
      };
      const shared = new SharedLogReads(failing, { soleWriterRecheckMs: 1_000 });
      await readToEnd(shared, undefined, 100);
      await expect(shared.appendToStream('drop-a', [newEventOf('A')], 'any')).rejects.toThrow('connection lost');
      expect((await idlePoll(shared, '3')).events.map((e) => e.position)).toEqual(['4']);
    });

    it('asks the inner store again once the last read that found the end is older than the re-check', async () => {
      const memory = logOf(5);
      const shared = new SharedLogReads(memory.store, { soleWriterRecheckMs: 1_000 });
      await readToEnd(shared, undefined, 100);
      // Appended behind its back (no process should; the re-check bounds how long it goes unseen).
      memory.append('drop-a', 'A');
      memory.reads = [];
      now += 999;
      expect(await idlePoll(shared, '5')).toEqual({ events: [], position: '5', isEnd: true });
      expect(memory.reads).toEqual([]);
      now += 1;
      expect((await idlePoll(shared, '5')).events.map((e) => e.position)).toEqual(['6']);
      expect(memory.reads).toHaveLength(1);
    });

    it('does not take the end from a read sent before an append that ended while it was in flight', async () => {
      const memory = logOf(5);
      const shared = new SharedLogReads(memory.store, { soleWriterRecheckMs: 1_000 });
      await readToEnd(shared, undefined, 100);
      now += 1_000; // the end found above is due for a re-check: the poll below reads
      memory.hold();
      const inFlight = idlePoll(shared, '5');
      await new Promise((resolve) => setImmediate(resolve));
      await shared.appendToStream('drop-a', [newEventOf('A')], 'any');
      memory.release();
      expect((await inFlight).events.map((e) => e.position)).toEqual(['6']);
      // Sent before the append ended, that read may or may not hold it: the next poll asks again.
      memory.reads = [];
      await idlePoll(shared, '6');
      expect(memory.reads).toHaveLength(1);
      await idlePoll(shared, '6');
      expect(memory.reads).toHaveLength(1);
    });

    it('hands a reader behind the end what the window holds, with the end it knows', async () => {
      const memory = logOf(10);
      const shared = new SharedLogReads(memory.store, { soleWriterRecheckMs: 1_000 });
      await readToEnd(shared, undefined, 100);
      memory.reads = [];
      const page = await shared.readAll({ fromPosition: '7', maxCount: 100 });
      expect(page).toEqual(memory.read({ fromPosition: '7', maxCount: 100 }));
      expect(memory.reads).toEqual([]);
    });

    it('is off by default: every poll at the end reads the inner store', async () => {
      const memory = logOf(10);
      const shared = new SharedLogReads(memory.store);
      await readToEnd(shared, undefined, 100);
      memory.reads = [];
      for (let i = 0; i < 3; i++) await idlePoll(shared, '10');
      expect(memory.reads).toHaveLength(3);
    });
  });

  it('fails the readers waiting on a failed read, and reads again on the next call', async () => {
    const memory = logOf(3);
    const shared = new SharedLogReads(memory.store);
    memory.failNext = new Error('connection lost');
    await expect(shared.readAll({ maxCount: 10 })).rejects.toThrow('connection lost');
    const page = await shared.readAll({ maxCount: 10 });
    expect(page.events.map((e) => e.position)).toEqual(['1', '2', '3']);
    expect(page.isEnd).toBe(true);
  });

  it('keeps the inner store’s optional lookups, and only those', () => {
    const memory = new LogInMemory();
    expect(new SharedLogReads(memory.store).readEvent).toBeUndefined();
    const withLookup: EventStore = { ...memory.store, readEvent: () => Promise.resolve(undefined) };
    expect(new SharedLogReads(withLookup).readEvent).toBeDefined();
  });
});
