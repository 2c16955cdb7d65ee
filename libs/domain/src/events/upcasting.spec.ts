import { DROP_EVENT_TYPES, EVENT_SCHEMA_VERSIONS, SIDE_STREAM_EVENT_TYPES } from '../drop/drop.events';
import { upcast, UpcasterRegistry } from './upcasting';

describe('UpcasterRegistry', () => {
  // A synthetic history: v1 had `price` in pounds, v2 renamed it to `unitPrice` in pence, v3 added `currency`.
  const registry = () =>
    new UpcasterRegistry({ SyntheticThing: 3 })
      .register('SyntheticThing', 1, ({ price, ...rest }) => ({ ...rest, unitPrice: Math.round((price as number) * 100) }))
      .register('SyntheticThing', 2, (data) => ({ ...data, currency: 'GBP' }));

  it('brings a v1 payload through every step to the latest version', () => {
    expect(registry().upcast('SyntheticThing', 1, { id: 'a', price: 25 })).toEqual({ id: 'a', unitPrice: 2500, currency: 'GBP' });
  });

  it('starts from the stored version', () => {
    expect(registry().upcast('SyntheticThing', 2, { id: 'a', unitPrice: 2500 })).toEqual({ id: 'a', unitPrice: 2500, currency: 'GBP' });
  });

  it('leaves a latest-version payload untouched', () => {
    const data = { id: 'a', unitPrice: 2500, currency: 'GBP' };
    expect(registry().upcast('SyntheticThing', 3, data)).toBe(data);
  });

  it('refuses versions from the future and missing steps', () => {
    expect(() => registry().upcast('SyntheticThing', 4, {})).toThrow(/knows up to 3/);
    expect(() => new UpcasterRegistry({ Gap: 2 }).upcast('Gap', 1, {})).toThrow(/No upcaster for Gap from version 1/);
  });

  it('refuses registering the same step twice', () => {
    expect(() => registry().register('SyntheticThing', 1, (d) => d)).toThrow(/already registered/);
  });
});

describe('the stored contract', () => {
  it('has a schema version for every drop and side-stream event type, and an upcaster for every older version', () => {
    const bumped: Record<string, number> = { ProductionRunCompleted: 2 };
    for (const type of [...DROP_EVENT_TYPES, ...SIDE_STREAM_EVENT_TYPES]) expect(EVENT_SCHEMA_VERSIONS[type]).toBe(bumped[type] ?? 1);
    expect(Object.keys(EVENT_SCHEMA_VERSIONS).sort()).toEqual([...DROP_EVENT_TYPES, ...SIDE_STREAM_EVENT_TYPES].sort());
    // A missing step would throw "No upcaster"; the payload itself is checked by the type's own tests.
    const v1 = { dropId: 'd', runId: 'd.run.1', coveredPreOrderIds: [], uncoveredPreOrderIds: [] };
    expect(upcast('ProductionRunCompleted', 1, v1)).toEqual({
      dropId: 'd',
      runId: 'd.run.1',
      coveredPreOrderCount: 0,
      uncoveredPreOrderCount: 0,
    });
  });

  it('upcast passes v1 payloads through and refuses v2 of a v1 type', () => {
    const data = { dropId: 'd', openedAt: '2026-12-01T10:00:00Z' };
    expect(upcast('PreOrderWindowOpened', 1, data)).toBe(data);
    expect(() => upcast('PreOrderWindowOpened', 2, data)).toThrow();
  });
});

describe('upcast: the instants of definitions stored by earlier engines', () => {
  it('reads a minutes-only instant of a stored definition or phase opening with its seconds (RFC 3339, as published)', () => {
    const definition = { name: 'd', window: { opensAt: '2026-12-01T10:00Z', closesAt: '2026-12-08T10:00:00Z' } };
    expect(upcast('DropScheduled', 1, { dropId: 'd', definition, scheduledAt: '2026-11-01T10:00:00Z' })).toEqual({
      dropId: 'd',
      definition: { name: 'd', window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00Z' } },
      scheduledAt: '2026-11-01T10:00:00Z',
    });
    expect(upcast('DropRevised', 1, { dropId: 'd', definition, revisedAt: '2026-11-01T10:00:00Z' }).definition).toMatchObject({
      window: { opensAt: '2026-12-01T10:00:00Z' },
    });
    expect(upcast('AccessPhaseOpened', 1, { dropId: 'd', opensAt: '2026-11-29T10:00+01:00' }).opensAt).toBe('2026-11-29T10:00:00+01:00');
    // Already in form: the very payload, no copy.
    const current = { dropId: 'd', opensAt: '2026-11-29T10:00:00+01:00' };
    expect(upcast('AccessPhaseOpened', 1, current)).toBe(current);
  });
});
