import { EVENT_SCHEMA_VERSIONS } from '@dropline/domain';
import { CeTypeRegistry, ceTypeOf } from './ce-type';

describe('ce_type derivation', () => {
  it.each([
    ['PreOrderPlaced', 1, 'dropline.preorder.placed.v1'],
    ['DropScheduled', 1, 'dropline.drop.scheduled.v1'],
    ['ProductionRunCompleted', 2, 'dropline.productionrun.completed.v2'],
    ['VariantSoldOut', 1, 'dropline.variant.soldout.v1'],
    ['PreOrderPickedUp', 1, 'dropline.preorder.pickedup.v1'],
    ['DemandTurnedAway', 1, 'dropline.demand.turnedaway.v1'],
    ['ReadyForPickup', 1, 'dropline.preorder.readyforpickup.v1'],
    ['PreOrderWindowOpened', 1, 'dropline.preorderwindow.opened.v1'],
    ['AccessPhaseOpened', 1, 'dropline.accessphase.opened.v1'],
    ['EarlyAccessOpened', 1, 'dropline.earlyaccess.opened.v1'],
    ['DropMembersAdded', 1, 'dropline.dropmembers.added.v1'],
    ['DropMembersRemoved', 1, 'dropline.dropmembers.removed.v1'],
  ])('%s v%i → %s', (type, version, expected) => {
    expect(ceTypeOf(type, version)).toBe(expected);
  });

  it('gives every stored type its own well-formed ce_type at its latest version', () => {
    const registry = new CeTypeRegistry(EVENT_SCHEMA_VERSIONS);
    const entries = registry.entries();
    expect(entries).toHaveLength(Object.keys(EVENT_SCHEMA_VERSIONS).length);
    expect(new Set(entries.map((e) => e.ceType)).size).toBe(entries.length);
    for (const e of entries) {
      expect(e.ceType).toMatch(/^dropline\.[a-z0-9]+\.[a-z0-9]+\.v\d+$/);
      expect(registry.resolve(e.ceType)).toEqual({ storedType: e.storedType, version: e.version });
    }
  });

  it('does not resolve unknown types or versions newer than the code knows', () => {
    const registry = new CeTypeRegistry({ PreOrderPlaced: 2 });
    expect(registry.resolve('dropline.preorder.placed.v2')).toEqual({ storedType: 'PreOrderPlaced', version: 2 });
    expect(registry.resolve('dropline.preorder.placed.v1')).toEqual({ storedType: 'PreOrderPlaced', version: 1 });
    expect(registry.resolve('dropline.preorder.placed.v3')).toBeUndefined();
    expect(registry.resolve('dropline.preorder.exploded.v1')).toBeUndefined();
    expect(registry.resolve('PreOrderPlaced')).toBeUndefined();
  });

  it('rejects names it cannot split into subject and verb', () => {
    expect(() => ceTypeOf('placed', 1)).toThrow(/PascalCase/);
    expect(() => ceTypeOf('Placed', 1)).toThrow(/PascalCase/);
    expect(() => ceTypeOf('PreOrderPlaced', 0)).toThrow(/version/);
  });
});
