import { DomainError } from '../decider';
import {
  aDefinition,
  aPhasedDefinition,
  L,
  M,
  SAMPLE_PHASES,
  T_CITY,
  T_EARLY,
  T_MEMBERS,
  T_OPEN,
  T_REPEAT,
} from '../testing/drop.fixtures';
import {
  AccessPhase,
  accessPhasesOf,
  DropDefinition,
  MAX_ACCESS_PHASES,
  canonicalDefinition,
  sameDefinition,
  validateDropDefinition,
  parseInstant,
} from './drop.definition';

function fieldOf(definition: unknown): string | undefined {
  try {
    validateDropDefinition(definition as DropDefinition);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('DROP.INVALID_DEFINITION');
    return (error as DomainError).details.field as string;
  }
}

describe('validateDropDefinition', () => {
  it('refuses a window that has already closed at the command time, and accepts one still open', () => {
    const definition = aDefinition();
    expect(() => validateDropDefinition(definition, definition.window.closesAt)).toThrow(
      expect.objectContaining({ code: 'DROP.INVALID_DEFINITION', details: { field: 'window.closesAt' } }),
    );
    expect(() => validateDropDefinition(definition, '2027-06-01T00:00:00Z')).toThrow(DomainError);
    expect(() => validateDropDefinition(definition, definition.window.opensAt)).not.toThrow();
  });

  it('accepts the brief sample JSON as is', () => {
    const sample = JSON.parse(`{ "name": "Harbour Hoodie, run 1", "city": "Bristol", "currency": "GBP", "channels": ["web", "popup"],
      "variants": [{ "sku": "HH-M-NAVY", "size": "M", "colour": "navy", "editionCap": 50 }],
      "priceTiers": [{ "untilUnitsSold": 10, "unitPrice": 2500 }, { "untilUnitsSold": 40, "unitPrice": 3000 }, { "unitPrice": 3500 }],
      "basketTiers": [{ "minQuantity": 3, "percentOff": 10 }],
      "window": { "opensAt": "2026-12-01T10:00:00Z", "closesAt": "2026-12-08T10:00:00Z" },
      "earlyAccess": { "opensAt": "2026-11-30T10:00:00Z", "audience": "repeat-customers" },
      "perCustomerLimit": 4, "minimumOrderQuantity": 20,
      "production": { "microfactoryId": "mf-bristol-1", "leadTimeDays": 14 },
      "pickupLocations": [{ "locationId": "popup-harbourside", "discountPercent": 10 }],
      "returnWindowDays": 14 }`);
    expect(fieldOf(sample)).toBeUndefined();
  });

  const variant = (sku: string, editionCap = 5) => ({ sku, size: 'M', colour: 'navy', editionCap });
  it.each<[string, Partial<DropDefinition> | Record<string, unknown>, string]>([
    ['empty name', { name: ' ' }, 'name'],
    ['lower-case currency', { currency: 'gbp' }, 'currency'],
    ['a currency ISO 4217 does not list', { currency: 'ZZZ' }, 'currency'],
    ['the no-currency code', { currency: 'XXX' }, 'currency'],
    ['no channels', { channels: [] }, 'channels'],
    ['unknown channel', { channels: ['web', 'fax'] }, 'channels[1]'],
    ['duplicate channel', { channels: ['web', 'web'] }, 'channels[1]'],
    ['no variants', { variants: [] }, 'variants'],
    ['duplicate SKU', { variants: [variant(M), variant(M)] }, 'variants[1].sku'],
    ['zero cap', { variants: [variant(M, 0)] }, 'variants[0].editionCap'],
    ['fractional cap', { variants: [variant(M, 2.5)] }, 'variants[0].editionCap'],
    ['no price tiers', { priceTiers: [] }, 'priceTiers'],
    [
      'tiers not ascending',
      { priceTiers: [{ untilUnitsSold: 10, unitPrice: 1 }, { untilUnitsSold: 10, unitPrice: 2 }, { unitPrice: 3 }] },
      'priceTiers[1].untilUnitsSold',
    ],
    ['last tier limited', { priceTiers: [{ untilUnitsSold: 10, unitPrice: 1 }] }, 'priceTiers[0].untilUnitsSold'],
    ['middle tier unlimited', { priceTiers: [{ unitPrice: 1 }, { unitPrice: 2 }] }, 'priceTiers[0].untilUnitsSold'],
    ['zero price', { priceTiers: [{ unitPrice: 0 }] }, 'priceTiers[0].unitPrice'],
    ['fractional price', { priceTiers: [{ unitPrice: 25.5 }] }, 'priceTiers[0].unitPrice'],
    [
      'basket tiers not ascending',
      {
        basketTiers: [
          { minQuantity: 3, percentOff: 10 },
          { minQuantity: 2, percentOff: 5 },
        ],
      },
      'basketTiers[1].minQuantity',
    ],
    ['basket percent over 100', { basketTiers: [{ minQuantity: 3, percentOff: 101 }] }, 'basketTiers[0].percentOff'],
    ['window not an instant', { window: { opensAt: '1 Dec 2026', closesAt: '2026-12-08T10:00:00Z' } }, 'window.opensAt'],
    ['closesAt not after opensAt', { window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-01T10:00:00Z' } }, 'window.closesAt'],
    [
      'early access not before opening',
      { earlyAccess: { opensAt: '2026-12-01T10:00:00Z', audience: 'repeat-customers' } },
      'earlyAccess.opensAt',
    ],
    ['unknown audience', { earlyAccess: { opensAt: '2026-11-30T10:00:00Z', audience: 'everyone' } }, 'earlyAccess.audience'],
    ['zero customer limit', { perCustomerLimit: 0 }, 'perCustomerLimit'],
    ['zero MOQ', { minimumOrderQuantity: 0 }, 'minimumOrderQuantity'],
    ['MOQ above the total cap (50 + 5)', { minimumOrderQuantity: 56 }, 'minimumOrderQuantity'],
    ['no microfactory', { production: { microfactoryId: '', leadTimeDays: 14 } }, 'production.microfactoryId'],
    ['negative lead time', { production: { microfactoryId: 'mf', leadTimeDays: -1 } }, 'production.leadTimeDays'],
    [
      'duplicate pickup location',
      {
        pickupLocations: [
          { locationId: 'a', discountPercent: 0 },
          { locationId: 'a', discountPercent: 5 },
        ],
      },
      'pickupLocations[1].locationId',
    ],
    ['pickup percent fractional', { pickupLocations: [{ locationId: 'a', discountPercent: 2.5 }] }, 'pickupLocations[0].discountPercent'],
    ['negative return window', { returnWindowDays: -1 }, 'returnWindowDays'],
  ])('rejects %s', (_name, overrides, field) => {
    expect(fieldOf({ ...aDefinition(), ...overrides })).toBe(field);
  });

  it('rejects something that is not an object at all', () => {
    expect(fieldOf(null)).toBe('definition');
  });

  it('accepts a MOQ equal to the total cap', () => {
    expect(fieldOf(aDefinition({ minimumOrderQuantity: 55 }))).toBeUndefined();
  });

  it('takes its instants as date-times with an offset only: what the events publish as RFC 3339', () => {
    const window = (opensAt: string, closesAt = '2026-12-08T10:00:00Z') => aDefinition({ window: { opensAt, closesAt } });
    for (const opensAt of ['2026-12-01T10:00:00', '2026-12-01', '2026-12-01 10:00:00Z', '2026-12-01T10:00Z'])
      expect(fieldOf(window(opensAt))).toBe('window.opensAt');
    expect(fieldOf(window('2026-12-01T10:00:00Z', '2026-12-08T10:00'))).toBe('window.closesAt');
    for (const opensAt of ['2026-12-01T10:00:00Z', '2026-12-01T12:00:00.5+02:00', '2026-12-01T10:00:00.123456789Z'])
      expect(fieldOf(window(opensAt))).toBeUndefined();
  });
});

describe('canonicalDefinition', () => {
  it('gives every minutes-only instant its seconds, the offset kept, and leaves the rest as it is', () => {
    const given = aPhasedDefinition();
    const minutes = {
      ...given,
      window: { opensAt: '2026-12-01T10:00Z', closesAt: '2026-12-08T12:00+02:00' },
      phases: given.phases!.map((p, i) => (i === 0 ? { ...p, opensAt: '2026-11-28T10:30-05:00' } : p)),
    };
    const canonical = canonicalDefinition(minutes);
    expect(canonical.window).toEqual({ opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T12:00:00+02:00' });
    expect(canonical.phases![0].opensAt).toBe('2026-11-28T10:30:00-05:00');
    expect(canonical.phases!.slice(1)).toEqual(given.phases!.slice(1));
    expect(fieldOf(canonical)).toBeUndefined();
    // Nothing to change: the same object (reading a stored definition costs nothing).
    expect(canonicalDefinition(given)).toBe(given);
    expect(
      canonicalDefinition(aDefinition({ earlyAccess: { opensAt: '2026-11-30T10:00Z', audience: 'repeat-customers' } })).earlyAccess,
    ).toEqual({ opensAt: '2026-11-30T10:00:00Z', audience: 'repeat-customers' });
  });
});

describe('validateDropDefinition: access phases', () => {
  const [members, repeat, locals] = SAMPLE_PHASES;
  const withPhases = (phases: unknown, overrides: Record<string, unknown> = {}) => ({ ...aPhasedDefinition(), phases, ...overrides });
  const everyone = (opensAt = T_OPEN, extra: Record<string, unknown> = {}) => ({
    name: 'general',
    opensAt,
    audience: 'everyone',
    ...extra,
  });
  /** `count` members phases a day apart, the last one 2026-11-30. */
  const phasesOf = (count: number): AccessPhase[] =>
    Array.from({ length: count }, (_, i) => ({
      name: `wave-${i}`,
      opensAt: new Date(Date.parse('2026-11-30T10:00:00Z') - (count - 1 - i) * 86_400_000).toISOString(),
      audience: 'members',
    }));

  it('takes a phase opening as a date-time with an offset only', () => {
    expect(fieldOf(withPhases([{ ...members, opensAt: '2026-11-28T10:00:00' }, repeat, locals]))).toBe('phases[0].opensAt');
  });

  it('accepts the phased sample, and reserves no more than the caps when the allocations add up to them', () => {
    expect(fieldOf(aPhasedDefinition())).toBeUndefined();
    const full = withPhases([{ ...members, allocation: { [M]: 40, [L]: 2 } }, repeat, { ...locals, allocation: { [L]: 3 } }]);
    expect(fieldOf(full)).toBeUndefined();
  });

  it.each<[string, unknown, Record<string, unknown>, string]>([
    ['phases together with the earlyAccess shorthand', SAMPLE_PHASES, { earlyAccess: aDefinition().earlyAccess }, 'phases'],
    ['phases that are not a list', { members }, {}, 'phases'],
    ['an empty list of phases', [], {}, 'phases'],
    ['a phase that is not an object', ['members'], {}, 'phases[0]'],
    ['a phase name with capitals', [{ ...members, name: 'Members' }], {}, 'phases[0].name'],
    ['a phase name starting with -', [{ ...members, name: '-vip' }], {}, 'phases[0].name'],
    ['a phase name of 33 characters', [{ ...members, name: 'a'.repeat(33) }], {}, 'phases[0].name'],
    ['a phase without a name', [{ ...members, name: undefined }], {}, 'phases[0].name'],
    ['two phases of the same name', [members, { ...repeat, name: 'members' }], {}, 'phases[1].name'],
    ['a phase called public before the last one', [{ ...members, name: 'public' }, repeat], {}, 'phases'],
    ['a last phase called public that is not the public window', [members, { ...repeat, name: 'public' }], {}, 'phases'],
    ['an unknown audience', [{ ...members, audience: 'vips' }], {}, 'phases[0].audience'],
    ['an opensAt that is not an instant', [{ ...members, opensAt: '28 Nov 2026' }], {}, 'phases[0].opensAt'],
    ['two phases opening at the same instant', [members, { ...repeat, opensAt: T_MEMBERS }], {}, 'phases[1].opensAt'],
    ['phases out of order', [repeat, members], {}, 'phases[1].opensAt'],
    ['a phase opening with the public window', [members, { ...repeat, opensAt: T_OPEN }], {}, 'phases[1].opensAt'],
    ['a phase opening after the public window', [members, { ...repeat, opensAt: '2026-12-02T10:00:00Z' }], {}, 'phases[1].opensAt'],
    ['everyone before the last phase', [everyone(T_MEMBERS), repeat], {}, 'phases[0].audience'],
    ['everyone last but not at window.opensAt', [members, everyone('2026-11-30T10:00:00Z')], {}, 'phases[1].opensAt'],
    ['an allocation on the public window', [members, everyone(T_OPEN, { allocation: { [M]: 1 } })], {}, 'phases[1].allocation'],
    ['a city phase for a drop without a city', SAMPLE_PHASES, { city: undefined }, 'phases[2].audience'],
    [
      'an allocation of a SKU the drop does not have',
      [{ ...members, allocation: { 'HH-XL-NAVY': 1 } }],
      {},
      'phases[0].allocation.HH-XL-NAVY',
    ],
    ['a negative allocation', [{ ...members, allocation: { [M]: -1 } }], {}, `phases[0].allocation.${M}`],
    ['a fractional allocation', [{ ...members, allocation: { [M]: 1.5 } }], {}, `phases[0].allocation.${M}`],
    ['an empty allocation', [{ ...members, allocation: {} }], {}, 'phases[0].allocation'],
    ['an allocation that is a list', [{ ...members, allocation: [1] }], {}, 'phases[0].allocation'],
    ['one allocation above the cap', [{ ...members, allocation: { [L]: 6 } }], {}, `phases[0].allocation.${L}`],
    // L: 2 + 4 = 6 of a cap of 5; the phase that crosses the cap is named.
    ['allocations adding up above the cap', [members, repeat, { ...locals, allocation: { [L]: 4 } }], {}, `phases[2].allocation.${L}`],
    ['an unknown sell-out behaviour', SAMPLE_PHASES, { onSellOut: 'sometimes' }, 'onSellOut'],
    [`${MAX_ACCESS_PHASES + 1} phases`, [...phasesOf(MAX_ACCESS_PHASES), everyone()], {}, 'phases'],
    // The public window is a phase too: appended to 8 listed ones it would make 9.
    [`${MAX_ACCESS_PHASES} phases before the (implicit) public window`, phasesOf(MAX_ACCESS_PHASES), {}, 'phases'],
  ])('rejects %s', (_name, phases, overrides, field) => {
    expect(fieldOf(withPhases(phases, overrides))).toBe(field);
  });

  it(`accepts ${MAX_ACCESS_PHASES} phases, the public window included (listed or not)`, () => {
    expect(fieldOf(withPhases(phasesOf(MAX_ACCESS_PHASES - 1)))).toBeUndefined();
    expect(fieldOf(withPhases([...phasesOf(MAX_ACCESS_PHASES - 1), everyone()]))).toBeUndefined();
    expect(accessPhasesOf(aPhasedDefinition({ phases: phasesOf(MAX_ACCESS_PHASES - 1) }))).toHaveLength(MAX_ACCESS_PHASES);
  });

  it('accepts both sell-out behaviours', () => {
    expect(fieldOf(aPhasedDefinition({ onSellOut: 'close' }))).toBeUndefined();
    expect(fieldOf(aPhasedDefinition({ onSellOut: 'stay-open' }))).toBeUndefined();
  });

  it('accepts the public window listed last under its own name, and a phase of zero units of a SKU', () => {
    expect(fieldOf(withPhases([members, everyone()]))).toBeUndefined();
    expect(fieldOf(withPhases([{ ...members, allocation: { [M]: 0 } }]))).toBeUndefined();
  });
});

describe('accessPhasesOf', () => {
  it('appends the public window at window.opensAt to the listed phases', () => {
    expect(accessPhasesOf(aPhasedDefinition()).map((p) => [p.name, p.audience, p.opensAt])).toEqual([
      ['members', 'members', T_MEMBERS],
      ['repeat', 'repeat-customers', T_REPEAT],
      ['locals', 'city', T_CITY],
      ['public', 'everyone', T_OPEN],
    ]);
  });

  it('keeps the public window when it is listed last under another name', () => {
    const phases: AccessPhase[] = [SAMPLE_PHASES[0], { name: 'general', opensAt: T_OPEN, audience: 'everyone' }];
    expect(accessPhasesOf(aPhasedDefinition({ phases })).map((p) => p.name)).toEqual(['members', 'general']);
  });

  it('reads the earlyAccess shorthand as one repeat-customers phase, and no phases as the public window alone', () => {
    expect(accessPhasesOf(aDefinition()).map((p) => [p.name, p.audience, p.opensAt])).toEqual([
      ['early-access', 'repeat-customers', T_EARLY],
      ['public', 'everyone', T_OPEN],
    ]);
    const { earlyAccess: _e, ...plain } = aDefinition();
    expect(accessPhasesOf(plain).map((p) => p.name)).toEqual(['public']);
  });
});

describe('sameDefinition', () => {
  it('ignores key order and undefined optional keys', () => {
    const a = aDefinition();
    const b = { ...Object.fromEntries(Object.entries(a).reverse()), city: 'Bristol' } as DropDefinition;
    expect(sameDefinition(a, b)).toBe(true);
    expect(sameDefinition({ ...a, basketTiers: undefined }, (({ basketTiers: _b, ...rest }) => rest)(a))).toBe(true);
  });

  it('sees a change deep inside', () => {
    const b = aDefinition({
      variants: [
        { sku: M, size: 'M', colour: 'navy', editionCap: 50 },
        { sku: L, size: 'L', colour: 'navy', editionCap: 6 },
      ],
    });
    expect(sameDefinition(aDefinition(), b)).toBe(false);
  });
});

describe('parseInstant', () => {
  it('gives the same answer for a value parsed just before (remembered) and for any other, valid or not', () => {
    const values: unknown[] = ['2026-12-02T10:00:00.000Z', '2026-12-02T10:00:00.000Z', 'nope', '2026-12-02T11:00:00+01:00', undefined, 42];
    for (const value of [...values, ...values.reverse()]) {
      const expected = typeof value === 'string' && value !== 'nope' ? Date.parse(value) : Number.NaN;
      expect(parseInstant(value)).toBe(expected);
    }
    expect(parseInstant('2026-12-02T10:00:00.000Z')).toBe(parseInstant('2026-12-02T11:00:00+01:00'));
  });
});
