import type { EventStore, RecordedEvent } from '@dropline/event-store';
import { DropHistoryController, HISTORY_FILTER_ROUNDS, HISTORY_FILTER_SCAN } from './drop-history.controller';

/** A drop stream of `n` events (side streams empty), counting the events each request reads. */
function storeOfOneStream(n: number) {
  const read = { calls: 0, events: 0 };
  const event = (revision: number): RecordedEvent => ({
    eventId: `e-${revision}`,
    type: revision === 0 ? 'DropScheduled' : 'PreOrderPlaced',
    schemaVersion: 1,
    data: {},
    metadata: { correlationId: 'c', causationId: null, actor: 'a', occurredAt: '', traceparent: '' },
    streamName: 'drop-d',
    revision,
    position: String(revision),
    recordedAt: '2026-12-01T00:00:00.000Z',
  });
  const store = {
    readStream: async (name: string, options: { fromRevision: number; maxCount: number }) => {
      read.calls++;
      if (name !== 'drop-d') return [];
      const events = [];
      for (let r = options.fromRevision; r < Math.min(n, options.fromRevision + options.maxCount); r++) events.push(event(r));
      read.events += events.length;
      return events;
    },
    comparePositions: (a: string, b: string) => Number(a) - Number(b),
  } as unknown as EventStore;
  return { store, read };
}

describe('GET /drops/:dropId/history with a filter that matches nothing (unit)', () => {
  it('scans at most 10 rounds of `limit` events and at most 2,000 events per request, and hands out a cursor to go on', async () => {
    for (const [limit, rounds] of [
      [100, HISTORY_FILTER_ROUNDS],
      [1000, HISTORY_FILTER_SCAN / 1000],
      [300, Math.ceil(HISTORY_FILTER_SCAN / 300)],
    ]) {
      const { store, read } = storeOfOneStream(50_000);
      const page = await new DropHistoryController(store).history({ dropId: 'd' }, { limit, type: 'Nothing' });
      expect({ limit, events: page.events, more: page.next !== null }).toEqual({ limit, events: [], more: true });
      expect({ limit, events: read.events }).toEqual({ limit, events: rounds * (limit + 1) });
    }
  });
});
