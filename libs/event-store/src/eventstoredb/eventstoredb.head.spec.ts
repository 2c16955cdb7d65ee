import { BACKWARDS, END, type EventStoreDBClient } from '@eventstore/db-client';
import { StoreUnavailableError } from '../event-store.port';
import { EventStoreDbEventStore } from './eventstoredb.event-store';

/** A client whose readAll yields `records` (or throws `error`) and records the options it was called with. */
function fakeClient(records: Array<{ event?: { created: Date; type: string; streamId: string } }>, error?: Error) {
  const calls: unknown[] = [];
  const client = {
    readAll(options: unknown) {
      calls.push(options);
      return (async function* () {
        if (error) throw error;
        yield* records;
      })();
    },
  } as unknown as EventStoreDBClient;
  return { client, calls };
}

describe('EventStoreDbEventStore.headRecordedAt', () => {
  it('reads the last record of $all backwards from the end, one record, whatever wrote it', async () => {
    const { client, calls } = fakeClient([{ event: { created: new Date('2027-02-03T04:05:06.789Z'), type: '$>', streamId: '$ce-drop' } }]);
    expect(await new EventStoreDbEventStore(client).headRecordedAt()).toBe('2027-02-03T04:05:06.789Z');
    expect(calls).toEqual([{ direction: BACKWARDS, fromPosition: END, maxCount: 1 }]);
  });

  it('is undefined for an empty log', async () => {
    expect(await new EventStoreDbEventStore(fakeClient([]).client).headRecordedAt()).toBeUndefined();
  });

  it('maps an unavailable server to StoreUnavailableError', async () => {
    const down = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { type: 'unavailable' });
    await expect(new EventStoreDbEventStore(fakeClient([], down).client).headRecordedAt()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
