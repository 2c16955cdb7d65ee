import type { Pool } from 'pg';
import { newEvent } from '../event-store.contract';
import type { NewEvent } from '../event-store.port';
import { appendParameter, PostgresEventStore, type SerialisedRow } from './postgres.event-store';

// appendSize serialises each event's row once and appendToStream sends that text: the parameter
// must stay exactly what one JSON.stringify of the rows wrote before, and appendSize a bound of it.

/** The parameter as appendToStream built it with one JSON.stringify of the whole batch. */
function stringifiedAtOnce(events: readonly NewEvent[]): string {
  return JSON.stringify(
    events.map((event, i) => ({ i, id: event.eventId, t: event.type, v: event.schemaVersion, d: event.data, m: event.metadata })),
  );
}

const store = new PostgresEventStore({} as Pool);

describe('PostgreSQL append parameter', () => {
  const events = Array.from({ length: 12 }, (_, n) =>
    newEvent(n % 2 ? 'ItemAdded' : 'ItemRemoved', { n, text: 'quote " backslash \\ nul \u0000 é€😀', nested: { list: [n, null, true] } }),
  );

  it('is the text one JSON.stringify of the rows writes, with its exact UTF-8 bytes, measured or not', () => {
    for (const measuredFirst of [false, true]) {
      const cache = new WeakMap<NewEvent, SerialisedRow>();
      if (measuredFirst) for (const event of events) appendParameter([event], cache);
      const { rows, bytes } = appendParameter(events, cache);
      expect(rows).toBe(stringifiedAtOnce(events));
      expect(bytes).toBe(Buffer.byteLength(rows, 'utf8'));
    }
    // An empty append and a row with nothing but its index are still valid JSON.
    expect(appendParameter([], new WeakMap()).rows).toBe('[]');
    const bare = {
      eventId: undefined,
      type: undefined,
      schemaVersion: undefined,
      data: undefined,
      metadata: undefined,
    } as unknown as NewEvent;
    expect(appendParameter([bare, bare], new WeakMap())).toEqual({ rows: '[{"i":0},{"i":1}]', bytes: 17 });
  });

  it('measures an upper bound of the parameter, whatever the number of rows', () => {
    for (const n of [1, 2, 11, 12]) {
      const some = events.slice(0, n);
      expect(store.appendSize(some)).toBeGreaterThanOrEqual(Buffer.byteLength(stringifiedAtOnce(some), 'utf8'));
    }
  });

  it('sends the row it measured, and serialises again an event whose fields were replaced since', () => {
    const cache = new WeakMap<NewEvent, SerialisedRow>();
    const event = newEvent('ItemAdded', { n: 1 });
    appendParameter([event], cache);
    const stringify = jest.spyOn(JSON, 'stringify');
    try {
      const sent = appendParameter([event], cache).rows;
      expect(stringify).not.toHaveBeenCalled();
      expect(sent).toBe(stringifiedAtOnce([event]));
      event.data = { n: 2 };
      expect(appendParameter([event], cache).rows).toBe(stringifiedAtOnce([event]));
      expect(JSON.parse(appendParameter([event], cache).rows)[0].d).toEqual({ n: 2 });
    } finally {
      stringify.mockRestore();
    }
  });

  it('throws what JSON.stringify throws for a value JSON cannot hold, when measured and when sent', () => {
    const event = newEvent('ItemAdded', { n: 1n });
    expect(() => store.appendSize([event])).toThrow(TypeError);
    expect(() => appendParameter([event], new WeakMap())).toThrow(TypeError);
  });
});
