import { DomainError } from '../decider';
import { aDefinition, L, M } from '../testing/drop.fixtures';
import { DropDefinition, sameDefinition, validateDropDefinition } from './drop.definition';

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
