import type { EventStore, ReadAllOptions, RecordedEvent } from './event-store.port';
import { LAG_READS, measureLag, SharedLag } from './lag';

/**
 * A global log in memory: positions are the 1-based indexes as strings. Counts its calls. With
 * `scanLimit`, a read scans at most that many events (at least maxCount), as the PostgreSQL and
 * EventStoreDB adapters do: it may return no events, a moved position and isEnd false.
 */
function logStore(events: Array<Pick<RecordedEvent, 'streamName' | 'type' | 'recordedAt'>>, countable: boolean, scanLimit = Infinity) {
  const calls = { readAll: [] as ReadAllOptions[], head: 0, count: 0 };
  const recorded = events.map((e, i) => ({ ...e, position: String(i + 1) }) as RecordedEvent);
  const store = {
    async readAll(options: ReadAllOptions = {}) {
      calls.readAll.push(options);
      const from = Number(options.fromPosition ?? 0);
      const limit = options.maxCount ?? 1000;
      const { streamPrefixes, eventTypes } = options.filter ?? {};
      const scanned = recorded.slice(from, from + Math.max(limit, scanLimit));
      const matching = scanned
        .filter((e) => !streamPrefixes || streamPrefixes.some((p) => e.streamName.startsWith(p)))
        .filter((e) => !eventTypes || eventTypes.includes(e.type))
        .slice(0, limit);
      if (matching.length === limit) return { events: matching, position: matching.at(-1)!.position, isEnd: false };
      const isEnd = from + scanned.length >= recorded.length;
      return { events: matching, position: scanned.at(-1)?.position ?? options.fromPosition, isEnd };
    },
    async headRecordedAt() {
      calls.head++;
      return recorded.at(-1)?.recordedAt;
    },
    ...(countable
      ? {
          async countAfter(position: string | undefined, filter?: ReadAllOptions['filter']) {
            calls.count++;
            return recorded
              .slice(Number(position ?? 0))
              .filter((e) => !filter?.streamPrefixes || filter.streamPrefixes.some((p) => e.streamName.startsWith(p))).length;
          },
        }
      : {}),
  } as unknown as EventStore;
  return { store, calls };
}

const log = [
  { streamName: 'drop-a', type: 'PreOrderPlaced', recordedAt: '2027-01-01T10:00:00.000Z' },
  { streamName: 'drop-a', type: 'PreOrderPlaced', recordedAt: '2027-01-01T11:00:00.000Z' },
  { streamName: 'visits-a', type: 'VisitsRecorded', recordedAt: '2027-01-01T11:00:20.000Z' },
  { streamName: 'drop-a', type: 'PreOrderPlaced', recordedAt: '2027-01-01T11:00:42.500Z' },
  { streamName: 'visits-a', type: 'VisitsRecorded', recordedAt: '2027-01-01T11:01:00.000Z' },
];
const drops = { streamPrefixes: ['drop-'] };

describe('measureLag', () => {
  it('is the head time minus the time of the first event not processed yet, not the checkpoint’s own (an hour of quiet is no lag)', async () => {
    const { store } = logStore(log, true);
    // Checkpoint at the 10:00 event; the next drop event came an hour later, the head a minute after that.
    // Events count only where the reader's filter passes them: the visits in between are not lag.
    expect(await measureLag(store, '1', drops)).toEqual({ lagSeconds: 60, lagEvents: 2 });
    expect(await measureLag(store, '2', drops)).toEqual({ lagSeconds: 17.5, lagEvents: 1 });
    expect(await measureLag(store, undefined, drops)).toEqual({ lagSeconds: 3660, lagEvents: 3 });
    expect(await measureLag(store, '1')).toEqual({ lagSeconds: 60, lagEvents: 4 });
  });

  it('is zero in both units when nothing the reader wants is left, though other streams were written after its checkpoint', async () => {
    const { store, calls } = logStore(log, true);
    expect(await measureLag(store, '4', drops)).toEqual({ lagSeconds: 0, lagEvents: 0 });
    // One filtered read of one event; no head read, no count.
    expect(calls).toEqual({ readAll: [{ fromPosition: '4', maxCount: 1, filter: drops }], head: 0, count: 0 });
  });

  it('gives seconds without a count on a store that cannot count (EventStoreDB)', async () => {
    const { store } = logStore(log, false);
    expect(await measureLag(store, '2', drops)).toEqual({ lagSeconds: 17.5, lagEvents: null });
    expect(await measureLag(store, '4', drops)).toEqual({ lagSeconds: 0, lagEvents: null });
  });

  it('never goes negative when the head was recorded earlier than the pending event (clock steps, long transactions)', async () => {
    const { store } = logStore([log[0], { ...log[1], recordedAt: '2027-01-01T12:00:00.000Z' }, log[2]], true);
    expect(await measureLag(store, '1', drops)).toEqual({ lagSeconds: 0, lagEvents: 1 });
  });

  describe('on a store whose filtered reads scan a bounded stretch (PostgreSQL, EventStoreDB)', () => {
    // 2,500 visits from two minutes before the head, then a drop event one minute before it.
    const visits = Array.from({ length: 2500 }, () => ({
      streamName: 'visits-a',
      type: 'VisitsRecorded',
      recordedAt: '2027-01-01T10:59:00.000Z',
    }));
    const busy = [...visits, { streamName: 'drop-a', type: 'PreOrderPlaced', recordedAt: '2027-01-01T11:00:00.000Z' }, log[4]];

    it('reads on past the other events to the first one the reader wants', async () => {
      const { store, calls } = logStore(busy, true, 1000);
      expect(await measureLag(store, undefined, drops)).toEqual({ lagSeconds: 60, lagEvents: 1 });
      expect(calls.readAll.map((o) => o.fromPosition)).toEqual([undefined, '1000', '2000']);
    });

    it('is zero only when a read reached the end', async () => {
      const { store, calls } = logStore(visits, true, 1000);
      expect(await measureLag(store, undefined, drops)).toEqual({ lagSeconds: 0, lagEvents: 0 });
      expect(calls.readAll).toHaveLength(3);
    });

    it(`after ${LAG_READS} reads without the reader's event or the end, measures the seconds from the first event of any kind (an upper bound, not zero)`, async () => {
      const { store, calls } = logStore(busy, true, 100);
      expect(await measureLag(store, undefined, drops)).toEqual({ lagSeconds: 120, lagEvents: 1 });
      expect(calls.readAll).toHaveLength(LAG_READS + 1);
      expect(calls.readAll.at(-1)).toEqual({ fromPosition: undefined, maxCount: 1 });
    });
  });
});

describe('SharedLag', () => {
  const lag = (lagEvents: number) => ({ lagSeconds: 0, lagEvents });

  it('measures once for every caller within the TTL from one position, a measurement in flight included', async () => {
    let clock = 0;
    const shared = new SharedLag(1000, () => clock);
    let measured = 0;
    const measure = () => Promise.resolve(lag(++measured));
    const answers = await Promise.all(Array.from({ length: 50 }, () => shared.of('7', measure)));
    expect(new Set(answers.map((a) => a.lagEvents))).toEqual(new Set([1]));
    clock = 999;
    expect(await shared.of('7', measure)).toEqual(lag(1));
    expect(measured).toBe(1);
    clock = 1000;
    expect(await shared.of('7', measure)).toEqual(lag(2));
    expect(measured).toBe(2);
  });

  it('measures again at once when the reader moved', async () => {
    const shared = new SharedLag(1000, () => 0);
    let measured = 0;
    const measure = () => Promise.resolve(lag(++measured));
    await shared.of('7', measure);
    expect(await shared.of('8', measure)).toEqual(lag(2));
    expect(await shared.of(undefined, measure)).toEqual(lag(3));
  });

  it('shares a zero while it is in flight, then measures again (events may arrive while a caught-up reader stands still)', async () => {
    const shared = new SharedLag(1000, () => 0);
    let measured = 0;
    const measure = () => Promise.resolve(measured++ === 0 ? { lagSeconds: 0, lagEvents: 0 } : lag(1));
    const first = await Promise.all([shared.of('7', measure), shared.of('7', measure)]);
    expect(first).toEqual([lag(0), lag(0)]);
    expect(await shared.of('7', measure)).toEqual(lag(1));
    expect(measured).toBe(2);
  });

  it('does not keep a failed measurement', async () => {
    const shared = new SharedLag(1000, () => 0);
    await expect(shared.of('7', () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect(await shared.of('7', () => Promise.resolve(lag(4)))).toEqual(lag(4));
  });
});
