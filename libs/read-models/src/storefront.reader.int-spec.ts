import type { DropDefinition, DropEvent } from '@dropline/domain';
import { PostgresEventStore, type EmbeddedDatabase } from '@dropline/event-store';
import { DropReadModelsProjection, DropSummaryEntity, InventoryEntity, openReadModels, ProjectionRunner } from '@dropline/projections';
import type { DataSource } from 'typeorm';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { decidedDropHistory } from '../../projections/src/testing/decided-history';
import { appendInterleaved, dropHistory, TimedEvent } from '../../projections/src/testing/drop-history';
import type { ProjectorService } from './projector.service';
import { StorefrontReader } from './storefront.reader';

/** A history up to (`through`: and including) the first event of `type`; fails when there is none. */
function until(history: TimedEvent[], type: DropEvent['type'], through = false): TimedEvent[] {
  const i = history.findIndex((h) => h.event.type === type);
  if (i < 0) throw new Error(`the fixture has no ${type}`);
  return history.slice(0, through ? i + 1 : i);
}

const definitionOf = (history: TimedEvent[]): DropDefinition =>
  (history[0].event as Extract<DropEvent, { type: 'DropScheduled' }>).data.definition;

/**
 * The storefront view of drops in every access situation, read from the drops read model the
 * projection folded from domain-decided histories (PGlite): which phase is open, what each phase
 * is, the sell-out behaviour and whether the drop is sold out.
 */
describe('StorefrontReader: access phases and sell-out (PGlite)', () => {
  let db: EmbeddedDatabase;
  let dataSource: DataSource;
  let reader: StorefrontReader;
  const histories = new Map<string, TimedEvent[]>();

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    dataSource = await openReadModels(db.pool);
    const store = new PostgresEventStore(db.pool);
    // Phases: members (with members added and one withdrawn), repeat customers and the city opened by ops; stopped in the city phase.
    histories.set('phased', until(decidedDropHistory('phased', 3, { orders: 45, access: 'phases' }), 'PreOrderWindowOpened'));
    // onSellOut close: stopped right after the decision that sold the last unit, closed the window and tipped.
    histories.set(
      'closes',
      until(decidedDropHistory('closes', 1, { orders: 45, access: 'phases', onSellOut: 'close' }), 'ProductionRunRequested', true),
    );
    // stay-open (the default): stopped right after the drop sold out, the window still open.
    histories.set('stays', until(decidedDropHistory('stays', 5, { orders: 45, caps: [6, 4] }), 'DropSoldOut', true));
    // Stored before access phases: the earlyAccess shorthand opened by EarlyAccessOpened.
    histories.set('legacy', until(dropHistory('legacy', 1, { orders: 5 }), 'PreOrderWindowOpened'));
    await appendInterleaved(store, histories);
    await new ProjectionRunner({ store, pool: db.pool, projection: new DropReadModelsProjection() }).catchUp();
    const projector = { lag: async () => ({ checkpoint: '1', lagSeconds: 0 }) } as unknown as ProjectorService;
    reader = new StorefrontReader(projector, dataSource.getRepository(DropSummaryEntity), dataSource.getRepository(InventoryEntity));
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.close();
  });

  it('names the open phase and where every phase stands, the public window last; never members or allocations', async () => {
    const view = await reader.drop('phased');
    const phases = definitionOf(histories.get('phased')!).phases!;
    expect(view).toMatchObject({ status: 'early-access', openPhase: 'city', onSellOut: 'stay-open', soldOut: false, earlyAccess: null });
    expect(view.phases).toEqual([
      { name: 'members', audience: 'members', opensAt: phases[0].opensAt, status: 'past' },
      { name: 'repeat', audience: 'repeat-customers', opensAt: phases[1].opensAt, status: 'past' },
      { name: 'city', audience: 'city', opensAt: phases[2].opensAt, status: 'open' },
      { name: 'public', audience: 'everyone', opensAt: definitionOf(histories.get('phased')!).window.opensAt, status: 'upcoming' },
    ]);
    expect(JSON.stringify(view)).not.toMatch(/"c-\d+"|allocation|customerIds|addedBy|"members":\s*\d/);
  });

  it('onSellOut close: sold out, the window closed at sell-out, no phase open and none ahead', async () => {
    const view = await reader.drop('closes');
    expect(view).toMatchObject({ status: 'tipped', onSellOut: 'close', soldOut: true, openPhase: null });
    expect(view.variants.every((v) => v.soldOut && v.remaining === 0)).toBe(true);
    expect(view.phases.map((p) => `${p.name}:${p.status}`)).toEqual(['members:past', 'repeat:past', 'city:past', 'public:past']);
  });

  it('onSellOut stay-open: sold out with the public window still open', async () => {
    const view = await reader.drop('stays');
    expect(view).toMatchObject({ status: 'open', onSellOut: 'stay-open', soldOut: true, openPhase: 'public' });
    expect(view.phases.map((p) => `${p.name}:${p.status}`)).toEqual(['early-access:past', 'public:open']);
  });

  it('reads a stored EarlyAccessOpened as the open early-access phase, and keeps earlyAccess for existing clients', async () => {
    const view = await reader.drop('legacy');
    const { earlyAccess, window } = definitionOf(histories.get('legacy')!);
    expect(view).toMatchObject({ status: 'early-access', openPhase: 'early-access', earlyAccess, soldOut: false });
    expect(view.phases).toEqual([
      { name: 'early-access', audience: 'repeat-customers', opensAt: earlyAccess!.opensAt, status: 'open' },
      { name: 'public', audience: 'everyone', opensAt: window.opensAt, status: 'upcoming' },
    ]);
    const listed = await reader.list({ status: 'early-access' }, { limit: 10, offset: 0 });
    expect(listed.drops.map((d) => [d.dropId, d.openPhase])).toEqual(
      expect.arrayContaining([
        ['legacy', 'early-access'],
        ['phased', 'city'],
      ]),
    );
  });
});
