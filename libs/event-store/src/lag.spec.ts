import type { EventStore, ReadAllOptions, RecordedEvent } from './event-store.port';
import { measureLag } from './lag';

/** A global log in memory: positions are the 1-based indexes as strings. Counts its calls. */
function logStore(events: Array<Pick<RecordedEvent, 'streamName' | 'type' | 'recordedAt'>>, countable: boolean) {
  const calls = { readAll: [] as ReadAllOptions[], head: 0, count: 0 };
  const recorded = events.map((e, i) => ({ ...e, position: String(i + 1) }) as RecordedEvent);
  const store = {
    async readAll(options: ReadAllOptions = {}) {
      calls.readAll.push(options);
      const from = Number(options.fromPosition ?? 0);
      const { streamPrefixes, eventTypes } = options.filter ?? {};
      const matching = recorded
        .slice(from)
        .filter((e) => !streamPrefixes || streamPrefixes.some((p) => e.streamName.startsWith(p)))
        .filter((e) => !eventTypes || eventTypes.includes(e.type))
        .slice(0, options.maxCount ?? 1000);
      return { events: matching, position: matching.at(-1)?.position ?? options.fromPosition, isEnd: true };
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
});
