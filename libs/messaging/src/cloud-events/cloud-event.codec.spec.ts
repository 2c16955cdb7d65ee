import { EVENT_SCHEMA_VERSIONS, upcast as upcastDropEvent } from '@dropline/domain';
import type { RecordedEvent } from '@dropline/event-store';
import { dropEventsCodec } from '../drop-events';
import { CeTypeRegistry } from './ce-type';
import { CloudEventCodec, UndeliverableMessageError } from './cloud-event.codec';

const recorded = (over: Partial<RecordedEvent> = {}): RecordedEvent => ({
  eventId: '0b7c1f8e-8a57-4a8e-9a53-4f6f1d1c2e01',
  type: 'PreOrderPlaced',
  schemaVersion: 1,
  data: { dropId: 'hoodie-1', preOrderId: 'hoodie-1.po.abc', quantity: 2 },
  metadata: {
    correlationId: 'corr-1',
    causationId: 'req-9',
    actor: 'anonymous',
    occurredAt: '2026-12-01T10:00:00.000Z',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  },
  streamName: 'drop-hoodie-1',
  revision: 3,
  position: '42',
  recordedAt: '2026-12-01T10:00:00.005Z',
  ...over,
});

// v2 of PreOrderPlaced renamed quantity → units: the codec must publish the latest version.
const registry = new CeTypeRegistry({ PreOrderPlaced: 2, VisitsRecorded: 1 });
const upcast = (type: string, version: number, data: Record<string, unknown>) => {
  if (type === 'PreOrderPlaced' && version === 1) {
    const { quantity, ...rest } = data;
    return { ...rest, units: quantity };
  }
  return data;
};
const codec = new CloudEventCodec({ source: '/dropline/test', registry, upcast });

describe('CloudEvents mapping (Kafka binary content mode)', () => {
  it('puts the envelope in ce_* headers, the upcast payload in the value, and keys by drop id', () => {
    const message = codec.encode(recorded());
    expect(message.key).toBe('hoodie-1');
    expect(message.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: '0b7c1f8e-8a57-4a8e-9a53-4f6f1d1c2e01',
      ce_source: '/dropline/test',
      ce_type: 'dropline.preorder.placed.v2',
      ce_time: '2026-12-01T10:00:00.000Z',
      ce_subject: 'hoodie-1',
      ce_partitionkey: 'hoodie-1',
      ce_correlationid: 'corr-1',
      ce_causationid: 'req-9',
      'content-type': 'application/json',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(JSON.parse(message.value.toString())).toEqual({ dropId: 'hoodie-1', preOrderId: 'hoodie-1.po.abc', units: 2 });
  });

  it('publishes no traceparent header rather than an invalid one (an all-zero id stored by an older engine), and reads none', () => {
    const zero = `00-${'0'.repeat(32)}-${'0'.repeat(16)}-00`;
    for (const traceparent of ['', zero, '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01']) {
      const message = codec.encode(recorded({ metadata: { ...recorded().metadata, traceparent } }));
      expect(message.headers).not.toHaveProperty('traceparent');
      const good = codec.encode(recorded());
      const inbound = codec.decode({ key: good.key, value: good.value, headers: { ...good.headers, traceparent } });
      expect(inbound.traceparent).toBeUndefined();
    }
  });

  it('keys side-stream events by the drop id in their payload and omits an absent causation id', () => {
    const message = codec.encode(
      recorded({
        type: 'VisitsRecorded',
        streamName: 'visits-hoodie-1',
        data: { dropId: 'hoodie-1', visits: [] },
        metadata: { ...recorded().metadata, causationId: null },
      }),
    );
    expect(message.key).toBe('hoodie-1');
    expect(message.headers.ce_type).toBe('dropline.visits.recorded.v1');
    expect(message.headers).not.toHaveProperty('ce_causationid');
  });

  it('decodes what it encodes, with header values as bytes the way Kafka delivers them', () => {
    const message = codec.encode(recorded());
    const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, Buffer.from(v)]));
    const event = codec.decode({ key: Buffer.from(message.key), value: message.value, headers });
    expect(event).toMatchObject({
      id: '0b7c1f8e-8a57-4a8e-9a53-4f6f1d1c2e01',
      type: 'PreOrderPlaced',
      version: 2,
      subject: 'hoodie-1',
      correlationId: 'corr-1',
      causationId: 'req-9',
      data: { units: 2 },
    });
  });

  it('reports unparseable messages and unknown schemas as undeliverable', () => {
    const good = codec.encode(recorded());
    const attempt = (over: Partial<{ value: Buffer | null; headers: Record<string, string> }>) => {
      try {
        codec.decode({ key: good.key, value: good.value, headers: good.headers, ...over });
        return 'decoded';
      } catch (e) {
        return e instanceof UndeliverableMessageError ? e.reason : 'other';
      }
    };
    expect(attempt({ value: Buffer.from('{not json') })).toBe('unparseable');
    expect(attempt({ value: Buffer.from('[1]') })).toBe('unparseable');
    expect(attempt({ headers: { ...good.headers, ce_specversion: '0.3' } })).toBe('unparseable');
    expect(attempt({ headers: { ...good.headers, ce_id: '' } })).toBe('unparseable');
    expect(attempt({ headers: { ...good.headers, ce_type: 'dropline.preorder.placed.v3' } })).toBe('unknown-schema');
    expect(attempt({ headers: { ...good.headers, ce_type: 'dropline.drop.vanished.v1' } })).toBe('unknown-schema');
    expect(attempt({})).toBe('decoded');
  });
  it('publishes the access events on the drop contract with their own ce_type, and reads them back', () => {
    const drop = dropEventsCodec('/dropline/test');
    const events: Array<[string, Record<string, unknown>, string]> = [
      [
        'AccessPhaseOpened',
        {
          dropId: 'hoodie-1',
          phase: 'members',
          audience: 'members',
          opensAt: '2026-11-29T10:00:00Z',
          trigger: 'ops',
          rolledOver: {},
          openedAt: '2026-11-28T09:00:00.000Z',
        },
        'dropline.accessphase.opened.v1',
      ],
      [
        'DropMembersAdded',
        { dropId: 'hoodie-1', customerIds: ['ana', 'bo'], addedBy: 'ops-1', addedAt: '2026-11-28T09:00:00.000Z' },
        'dropline.dropmembers.added.v1',
      ],
      [
        'DropMembersRemoved',
        { dropId: 'hoodie-1', customerIds: ['bo'], removedBy: 'ops-1', removedAt: '2026-11-28T09:00:00.000Z' },
        'dropline.dropmembers.removed.v1',
      ],
      // No longer written, still stored: published as it always was.
      [
        'EarlyAccessOpened',
        { dropId: 'hoodie-1', audience: 'repeat-customers', openedAt: '2026-11-30T10:00:00.000Z' },
        'dropline.earlyaccess.opened.v1',
      ],
    ];
    for (const [type, data, ceType] of events) {
      const message = drop.encode(
        recorded({ type, schemaVersion: EVENT_SCHEMA_VERSIONS[type as keyof typeof EVENT_SCHEMA_VERSIONS], data }),
      );
      expect({ type, key: message.key, ceType: message.headers.ce_type }).toEqual({ type, key: 'hoodie-1', ceType });
      expect(drop.decode(message)).toMatchObject({ type, version: 1, subject: 'hoodie-1', data });
    }
    // A consumer built before these types dead-letters them as unknown-schema: upgrade consumers before the relay.
    const before = new CloudEventCodec({
      source: '/dropline/test',
      registry: new CeTypeRegistry({ PreOrderPlaced: 1, PreOrderWindowOpened: 1 }),
      upcast: upcastDropEvent,
    });
    const added = drop.encode(recorded({ type: 'DropMembersAdded', data: events[1][1] }));
    expect(() => before.decode(added)).toThrow(expect.objectContaining({ reason: 'unknown-schema' }));
  });
});
