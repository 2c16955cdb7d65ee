import { ANY, NO_STREAM, STREAM_EXISTS } from '@eventstore/db-client';
import type { NewEvent } from '../event-store.port';
import {
  compareEsdbPositions,
  esdbEventSize,
  formatEsdbPosition,
  fromEsdbCurrentRevision,
  fromEsdbEvent,
  matchesFilter,
  parseEsdbPosition,
  toEsdbEvent,
  toEsdbExpectedRevision,
  toEsdbSubscriptionFilter,
} from './eventstoredb.mapping';

const event: NewEvent = {
  eventId: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d',
  type: 'PreOrderPlaced',
  schemaVersion: 2,
  data: { dropId: 'd-1', placedAt: '2026-01-01T00:00:00.000Z' },
  metadata: {
    correlationId: 'corr-1',
    causationId: 'cause-1',
    actor: 'user:42',
    occurredAt: '2026-01-01T00:00:00.000Z',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  },
};

describe('EventStoreDB mapping', () => {
  it('sizes an event as the server counts it against MaxAppendSize: data + metadata bytes as sent + 2 × type length', () => {
    // What the client sends (JSON.stringify, UTF-8), written out and counted by hand:
    // data      {"dropId":"d-1","placedAt":"2026-01-01T00:00:00.000Z"}                                   54 bytes
    // metadata  {"correlationId":"corr-1","causationId":"cause-1","actor":"user:42",
    //            "occurredAt":"2026-01-01T00:00:00.000Z",
    //            "traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    //            "schemaVersion":2,"$correlationId":"corr-1","$causationId":"cause-1"}                   249 bytes
    // type      PreOrderPlaced: 14 UTF-16 code units, counted twice                                      28
    expect(esdbEventSize(event)).toBe(54 + 249 + 28);

    // Multi-byte text: UTF-8 bytes for data and metadata, UTF-16 code units for the type.
    // data      {"name":"é😀"}: 9 + 2 (é) + 4 (😀) + 2                                                  17 bytes
    // metadata  {"correlationId":"c","causationId":null,"actor":"a","occurredAt":"2026-01-01T00:00:00.000Z",
    //            "traceparent":"t","schemaVersion":1,"$correlationId":"c"}  (no $causationId when null) 149 bytes
    // type      Ünïcode😀: 7 + 2 (a surrogate pair) = 9 code units, counted twice                         18
    const unicode: NewEvent = {
      eventId: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6e',
      type: 'Ünïcode😀',
      schemaVersion: 1,
      data: { name: 'é😀' },
      metadata: { correlationId: 'c', causationId: null, actor: 'a', occurredAt: '2026-01-01T00:00:00.000Z', traceparent: 't' },
    };
    expect(esdbEventSize(unicode)).toBe(17 + 149 + 18);
  });

  it('maps every expected revision mode, -1 included', () => {
    expect(toEsdbExpectedRevision('any')).toBe(ANY);
    expect(toEsdbExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toEsdbExpectedRevision('stream_exists')).toBe(STREAM_EXISTS);
    expect(toEsdbExpectedRevision(-1)).toBe(NO_STREAM);
    expect(toEsdbExpectedRevision(0)).toBe(0n);
    expect(toEsdbExpectedRevision(41)).toBe(41n);
  });

  it('maps the actual revision of a conflict', () => {
    expect(fromEsdbCurrentRevision(NO_STREAM)).toBe(-1);
    expect(fromEsdbCurrentRevision(7n)).toBe(7);
    expect(fromEsdbCurrentRevision(undefined)).toBeUndefined();
  });

  it('formats, parses and orders positions', () => {
    const position = { commit: 1200n, prepare: 1100n };
    expect(formatEsdbPosition(position)).toBe('1200/1100');
    expect(parseEsdbPosition('1200/1100')).toEqual(position);
    expect(() => parseEsdbPosition('12:34')).toThrow('Not an EventStoreDB position');
    expect(parseEsdbPosition('18446744073709551615/0')).toEqual({ commit: 2n ** 64n - 1n, prepare: 0n });
    expect(() => parseEsdbPosition('18446744073709551616/0')).toThrow('Not an EventStoreDB position');
    expect(() => parseEsdbPosition(`1/${'9'.repeat(400)}`)).toThrow('Not an EventStoreDB position');
    expect(compareEsdbPositions({ commit: 9n, prepare: 9n }, { commit: 10n, prepare: 1n })).toBeLessThan(0);
    expect(compareEsdbPositions({ commit: 10n, prepare: 2n }, { commit: 10n, prepare: 1n })).toBeGreaterThan(0);
  });

  it('stores the envelope in metadata, with the $-keys ESDB projections read', () => {
    expect(toEsdbEvent(event)).toEqual({
      id: event.eventId,
      type: 'PreOrderPlaced',
      data: event.data,
      metadata: { ...event.metadata, schemaVersion: 2, $correlationId: 'corr-1', $causationId: 'cause-1' },
    });
    expect(toEsdbEvent({ ...event, metadata: { ...event.metadata, causationId: null } }).metadata).not.toHaveProperty('$causationId');
  });

  it('round-trips the envelope from a recorded event', () => {
    const stored = toEsdbEvent(event);
    const recorded = fromEsdbEvent({
      streamId: 'drop-1',
      id: stored.id,
      revision: 3n,
      type: stored.type,
      created: new Date('2026-01-01T00:00:01.000Z'),
      isJson: true,
      data: stored.data,
      metadata: stored.metadata,
      position: { commit: 10n, prepare: 9n },
    });
    expect(recorded).toEqual({
      ...event,
      streamName: 'drop-1',
      revision: 3,
      position: '10/9',
      recordedAt: '2026-01-01T00:00:01.000Z',
    });
  });

  it("skips system events (they are not Dropline's)", () => {
    const base = { id: 'x', revision: 0n, created: new Date(), isJson: true, data: {}, metadata: {} };
    expect(fromEsdbEvent({ ...base, streamId: '$stats-127.0.0.1:2113', type: '$statsCollected' })).toBeUndefined();
    expect(fromEsdbEvent({ ...base, streamId: '$settings', type: 'Settings' })).toBeUndefined();
    expect(fromEsdbEvent({ ...base, streamId: 'drop-1', type: '$>' })).toBeUndefined();
  });

  it('keeps undecodable events, marked, so readers report them with their position instead of never seeing them', () => {
    const base = {
      id: 'x',
      revision: 5n,
      created: new Date('2026-01-01T00:00:00Z'),
      isJson: true,
      data: {},
      metadata: {},
      type: 'PreOrderPlaced',
      streamId: 'drop-1',
      position: { commit: 20n, prepare: 20n },
    };
    const binary = fromEsdbEvent({ ...base, streamId: 'drop-1', type: 'Blob', isJson: false, data: new Uint8Array([1, 2, 3]) });
    expect(binary).toMatchObject({ streamName: 'drop-1', type: 'Blob', data: {}, decodeError: expect.stringContaining('binary') });
    // The client hands over the raw string when JSON content does not parse.
    const malformed = fromEsdbEvent({ ...base, streamId: 'drop-1', type: 'PreOrderPlaced', isJson: true, data: '{"dropId": "d1",' });
    expect(malformed).toMatchObject({ type: 'PreOrderPlaced', data: {}, decodeError: expect.stringContaining('not a JSON object') });
    expect(malformed?.position).toBe('20/20');
    const badMetadata = fromEsdbEvent({ ...base, streamId: 'drop-1', metadata: new Uint8Array([123]) });
    expect(badMetadata?.decodeError).toContain('metadata');
    expect(fromEsdbEvent({ ...base, streamId: 'drop-1' })?.decodeError).toBeUndefined();
  });

  it('filters: prefixes ORed, types ORed, both ANDed', () => {
    const filter = { streamPrefixes: ['drop-', 'return-'], eventTypes: ['DropOpened'] };
    expect(matchesFilter({ streamName: 'drop-1', type: 'DropOpened' }, filter)).toBe(true);
    expect(matchesFilter({ streamName: 'return-1', type: 'DropOpened' }, filter)).toBe(true);
    expect(matchesFilter({ streamName: 'drop-1', type: 'DropOpenedLater' }, filter)).toBe(false);
    expect(matchesFilter({ streamName: 'cart-1', type: 'DropOpened' }, filter)).toBe(false);
    expect(matchesFilter({ streamName: 'cart-1', type: 'X' }, undefined)).toBe(true);
  });

  it('builds the server-side subscription filter: event types when given (prefixes then checked here), else prefixes', () => {
    expect(toEsdbSubscriptionFilter({ streamPrefixes: ['drop-'], eventTypes: ['A'] })).toMatchObject({
      filterOn: 'eventType',
      regex: '^(?:A)$',
    });
    expect(toEsdbSubscriptionFilter({ streamPrefixes: ['drop-'] })).toMatchObject({ filterOn: 'streamName', prefixes: ['drop-'] });
    expect(toEsdbSubscriptionFilter({ eventTypes: ['Drop.Opened', 'B'] })).toMatchObject({
      filterOn: 'eventType',
      regex: '^(?:Drop\\.Opened|B)$',
    });
    expect(toEsdbSubscriptionFilter(undefined)).toMatchObject({ filterOn: 'eventType', regex: '^[^$].*' });
  });
});
