import type { DropCommand } from '@dropline/domain';
import type { EventStore } from '@dropline/event-store';
import { systemContext } from '@dropline/platform';
import { DropWriter } from '../src/drops/drop-writer';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/*
 * The public reads over real HTTP (embedded PGlite): what an anonymous caller may see, and that
 * nothing they do reads the event log. The store is wrapped to count stream reads from revision 0
 * (a fold) and to hold or fail appends, so "a batch in flight" and "a cold cache" are real states
 * of the writer, not mocks.
 */

const ANON = { token: null };
const STAFF_ONLY_FIELDS = /revenue|returns|production|microfactory|definition|moq|preOrderCount|unitsSold/i;

/** Polls `path` until `done(body)` holds (the projector runs in the background). */
async function eventually(
  engine: TestEngine,
  path: string,
  done: (body: any) => boolean,
  auth: { token: null } | object = {},
): Promise<any> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await engine.request('GET', path, undefined, {}, auth);
    if (res.status === 200 && done(res.body)) return res.body;
    if (Date.now() > deadline) throw new Error(`${path} never matched: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface StoreProbe {
  /** readStream calls on drop streams from revision 0 (or with no fromRevision): folds. */
  folds: string[];
  /** While set, appends wait for it (a batch in flight); `appendStarted` resolves once one waits. */
  hold(): { appendStarted: Promise<void>; release(): void };
  /** The next append fails like a lost connection (the writer then forgets its cached state). */
  /** Fails the next append to `streamName` (not any append: the reactors and recorders append in the background too). */
  failNextAppend(streamName: string): void;
}

function probe(store: EventStore): StoreProbe {
  const folds: string[] = [];
  const readStream = store.readStream.bind(store);
  const appendToStream = store.appendToStream.bind(store);
  let gate: Promise<void> | undefined;
  let started: (() => void) | undefined;
  let failStream: string | undefined;
  store.readStream = (streamName, options) => {
    if (streamName.startsWith('drop-') && (options?.fromRevision ?? 0) === 0 && options?.direction !== 'backwards') folds.push(streamName);
    return readStream(streamName, options);
  };
  store.appendToStream = async (streamName, events, expected) => {
    if (streamName === failStream) {
      failStream = undefined;
      throw new Error('connection terminated unexpectedly (test)');
    }
    if (gate) {
      started?.();
      await gate;
    }
    return appendToStream(streamName, events, expected);
  };
  return {
    folds,
    hold() {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      const appendStarted = new Promise<void>((r) => (started = r));
      return {
        appendStarted,
        release: () => {
          gate = undefined;
          release();
        },
      };
    },
    failNextAppend: (streamName) => (failStream = streamName),
  };
}

describe('public reads (embedded engine)', () => {
  let engine: TestEngine;
  let store: StoreProbe;
  let live: string;
  let unannounced: string;
  let order = 0;
  const preOrder = (quantity = 1) =>
    engine.request(
      'POST',
      `/drops/${live}/pre-orders`,
      { customerId: `buyer-${++order}`, sku: 'HH-M-NAVY', quantity, channel: 'web', fulfillment: { method: 'ship' } },
      { 'Idempotency-Key': `k-${order}` },
    );

  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-12-02T12:00:00Z' });
    const created = await engine.request('POST', '/drops', harbourHoodie({ earlyAccess: undefined }));
    live = created.body.dropId;
    expect((await engine.request('POST', `/drops/${live}/open`)).status).toBe(200);
    for (const quantity of [1, 3]) expect((await preOrder(quantity)).status).toBe(201);
    const later = harbourHoodie({
      name: 'Winter Parka',
      window: { opensAt: '2027-01-10T10:00:00Z', closesAt: '2027-01-20T10:00:00Z' },
      earlyAccess: undefined,
    });
    unannounced = (await engine.request('POST', '/drops', later)).body.dropId;
    // The storefront shows what the read model holds: wait for it to catch up with the setup.
    await eventually(engine, `/drops/${unannounced}/summary`, (b) => b.status === 'scheduled');
    await eventually(engine, `/drops/${live}`, (b) => b.variants?.[0]?.remaining === 46, ANON);
    store = probe(engine.databases.store);
  });
  afterAll(async () => engine?.close());

  it('answers anonymous callers a storefront view: name, city, variants with price and remaining units, window, status and lag', async () => {
    const res = await engine.request('GET', `/drops/${live}`, undefined, {}, ANON);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      dropId: live,
      name: 'Harbour Hoodie, run 1',
      city: 'Bristol',
      currency: 'GBP',
      status: 'open',
      window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00Z' },
      earlyAccess: null,
      phases: [{ name: 'public', audience: 'everyone', opensAt: '2026-12-01T10:00:00Z', status: 'open' }],
      openPhase: 'public',
      onSellOut: 'stay-open',
      variants: [{ sku: 'HH-M-NAVY', size: 'M', colour: 'navy', unitPrice: 2500, remaining: 46, soldOut: false }],
      soldOut: false,
      readModel: { asOfRevision: expect.any(Number), asOfPosition: expect.any(String), lagSeconds: expect.any(Number) },
    });
    const summary = await engine.request('GET', `/drops/${live}/summary`, undefined, {}, ANON);
    expect(summary.body).toEqual(res.body);
  });

  it('never shows anonymous callers revenue, returns, production, microfactory or the definition', async () => {
    for (const path of [`/drops/${live}`, `/drops/${live}/summary`, '/drops', '/drops?status=open']) {
      const res = await engine.request('GET', path, undefined, {}, ANON);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toMatch(STAFF_ONLY_FIELDS);
    }
    // A customer token is not staff: the same storefront view.
    const asCustomer = await engine.request('GET', `/drops/${live}/summary`, undefined, {}, { role: 'customer', sub: 'buyer-1' });
    expect(JSON.stringify(asCustomer.body)).not.toMatch(STAFF_ONLY_FIELDS);
  });

  it('answers staff tokens the full views on the same routes, shapes as before', async () => {
    const summary = await engine.request('GET', `/drops/${live}/summary`, undefined, {}, { role: 'analyst' });
    expect(summary.body).toMatchObject({
      revenue: { total: expect.any(Number), byTier: expect.any(Object), byChannel: expect.any(Object) },
      productionRuns: [],
      returnsByReason: [],
      moq: { minimumOrderQuantity: 20 },
      announced: true,
      access: { openPhase: 'public', members: 0, phases: [{ name: 'public', audience: 'everyone', status: 'open' }] },
      onSellOut: 'stay-open',
      soldOut: false,
      readModel: { projection: 'drops' },
    });
    const drop = await engine.request('GET', `/drops/${live}`, undefined, {}, { role: 'ops' });
    expect(drop.body).toMatchObject({ definition: { production: { microfactoryId: 'mf-bristol-1' } }, productionRuns: [], revision: 3 });
    const list = await engine.request('GET', '/drops', undefined, {}, { role: 'analyst' });
    expect(list.body.drops.map((d: { dropId: string }) => d.dropId)).toEqual(expect.arrayContaining([live, unannounced]));
    expect(list.body.drops[0].revenue).toBeDefined();
  });

  it('refuses a token that does not verify on a public route instead of answering it as anonymous', async () => {
    const res = await engine.request('GET', `/drops/${live}`, undefined, { authorization: 'Bearer not.a.token' });
    expect(res.status).toBe(401);
    expect(res.body.code).toMatch(/^AUTH\./);
  });

  it('lets only ops and analysts travel in time: anonymous 401, customer 403', async () => {
    for (const query of ['revision=0', 'asOf=2026-12-02T12:00:00Z']) {
      const anonymous = await engine.request('GET', `/drops/${live}?${query}`, undefined, {}, ANON);
      expect(anonymous).toMatchObject({ status: 401, body: { code: 'AUTH.UNAUTHENTICATED' } });
      const customer = await engine.request('GET', `/drops/${live}?${query}`, undefined, {}, { role: 'customer', sub: 'buyer-1' });
      expect(customer).toMatchObject({ status: 403, body: { code: 'AUTH.FORBIDDEN' } });
    }
    const staff = await engine.request('GET', `/drops/${live}?revision=0`, undefined, {}, { role: 'analyst' });
    expect(staff).toMatchObject({ status: 200, body: { status: 'scheduled', revision: 0 } });
  });

  it('reads no stream from revision 0 for a public GET while a batch is in flight', async () => {
    const held = store.hold();
    const pending = preOrder();
    await held.appendStarted;
    store.folds.length = 0;
    try {
      for (const path of [`/drops/${live}`, `/drops/${live}/summary`, '/drops']) {
        const res = await engine.request('GET', path, undefined, {}, ANON);
        expect(res.status).toBe(200);
      }
      expect(store.folds).toEqual([]);
    } finally {
      held.release();
    }
    expect((await pending).status).toBe(201);
  });

  it('reads no stream from revision 0 for a public GET on a cold cache (a staff GET folds it, which the probe sees)', async () => {
    store.failNextAppend(`drop-${live}`);
    // The failed append leaves the writer without a cached state for the drop (the buyer gets a problem).
    expect((await preOrder()).status).toBeGreaterThanOrEqual(400);
    store.folds.length = 0;
    for (const path of [`/drops/${live}`, `/drops/${live}/summary`, '/drops']) {
      expect((await engine.request('GET', path, undefined, {}, ANON)).status).toBe(200);
    }
    expect(store.folds).toEqual([]);
    expect((await engine.request('GET', `/drops/${live}`, undefined, {}, { role: 'ops' })).status).toBe(200);
    expect(store.folds).toEqual([`drop-${live}`]);
  });

  it('lists and shows an unannounced drop to staff only, and anonymously once ops announces it', async () => {
    const listed = async () =>
      ((await engine.request('GET', '/drops', undefined, {}, ANON)).body.drops as Array<{ dropId: string }>).map((d) => d.dropId);
    expect(await listed()).toContain(live);
    expect(await listed()).not.toContain(unannounced);
    const hidden = await engine.request('GET', `/drops/${unannounced}`, undefined, {}, ANON);
    const missing = await engine.request('GET', '/drops/no-such-drop', undefined, {}, ANON);
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    const withoutId = (body: Record<string, unknown>) =>
      JSON.parse(JSON.stringify(body).replaceAll(unannounced, '<id>').replaceAll('no-such-drop', '<id>'));
    expect(withoutId(hidden.body)).toEqual(withoutId(missing.body));
    const hiddenSummary = await engine.request('GET', `/drops/${unannounced}/summary`, undefined, {}, ANON);
    const missingSummary = await engine.request('GET', '/drops/no-such-drop/summary', undefined, {}, ANON);
    expect(hiddenSummary.status).toBe(404);
    expect(withoutId(hiddenSummary.body)).toEqual(withoutId(missingSummary.body));
    expect((await engine.request('GET', `/drops/${unannounced}/summary`, undefined, {}, { role: 'ops' })).body).toMatchObject({
      status: 'scheduled',
      announced: false,
    });

    const announced = await engine.request('POST', `/drops/${unannounced}/announce`, undefined, {}, { role: 'ops' });
    expect(announced).toMatchObject({ status: 200, body: { status: 'scheduled', announcedAt: '2026-12-02T12:00:00.000Z' } });
    // Announcing twice writes nothing more.
    const revision = async () => (await engine.request('GET', `/drops/${unannounced}`, undefined, {}, { role: 'ops' })).body.revision;
    expect(await revision()).toBe(1);
    expect((await engine.request('POST', `/drops/${unannounced}/announce`, undefined, {}, { role: 'ops' })).status).toBe(200);
    expect(await revision()).toBe(1);
    const shown = await eventually(engine, `/drops/${unannounced}`, (b) => b.status === 'scheduled', ANON);
    expect(shown).toMatchObject({ name: 'Winter Parka', window: { opensAt: '2027-01-10T10:00:00Z' } });
    expect(await listed()).toContain(unannounced);
  });
  it('shows a phased drop: its phases and the open one, never its members; sold out and closed at sell-out with onSellOut close', async () => {
    // Scheduled, granted and opened on the engine's one command path (DropWriter), as the routes and the scheduler do.
    const writer = engine.app.get(DropWriter);
    const ops = { subject: 'ops-test', roles: ['ops'] };
    const run = (command: Record<string, unknown>) =>
      writer.execute({ ...command, now: engine.clock.now().toISOString() } as DropCommand, systemContext('test', engine.clock), () => null);
    const dropId = 'phased-hoodie';
    const definition = harbourHoodie({
      name: 'Harbour Hoodie, members run',
      variants: [{ sku: 'HH-M-NAVY', size: 'M', colour: 'navy', editionCap: 4 }],
      window: { opensAt: '2026-12-10T10:00:00Z', closesAt: '2026-12-17T10:00:00Z' },
      earlyAccess: undefined,
      phases: [
        { name: 'members', opensAt: '2026-12-05T10:00:00Z', audience: 'members', allocation: { 'HH-M-NAVY': 4 } },
        { name: 'city', opensAt: '2026-12-08T10:00:00Z', audience: 'city' },
      ],
      onSellOut: 'close',
      minimumOrderQuantity: 2,
    });
    await run({ type: 'ScheduleDrop', dropId, definition });
    await run({ type: 'AddDropMembers', dropId, customerIds: ['member-ana', 'member-bo', 'member-cy'], actor: ops });
    await run({ type: 'RemoveDropMembers', dropId, customerIds: ['member-cy'], actor: ops });
    await run({ type: 'OpenAccessPhase', dropId, phase: 'members', manual: true });

    const open = await eventually(engine, `/drops/${dropId}`, (b) => b.openPhase === 'members', ANON);
    expect(open).toMatchObject({ status: 'early-access', onSellOut: 'close', soldOut: false, earlyAccess: null });
    expect(open.phases).toEqual([
      { name: 'members', audience: 'members', opensAt: '2026-12-05T10:00:00Z', status: 'open' },
      { name: 'city', audience: 'city', opensAt: '2026-12-08T10:00:00Z', status: 'upcoming' },
      { name: 'public', audience: 'everyone', opensAt: '2026-12-10T10:00:00Z', status: 'upcoming' },
    ]);
    for (const path of [`/drops/${dropId}`, `/drops/${dropId}/summary`, '/drops?status=early-access']) {
      const body = JSON.stringify((await engine.request('GET', path, undefined, {}, ANON)).body);
      expect(body).toContain('"openPhase":"members"');
      expect(body).not.toMatch(/member-|allocation|"members":\s*\d/);
      expect(body).not.toMatch(STAFF_ONLY_FIELDS);
    }
    const staff = await engine.request('GET', `/drops/${dropId}/summary`, undefined, {}, { role: 'ops' });
    expect(staff.body).toMatchObject({
      onSellOut: 'close',
      soldOut: false,
      access: {
        openPhase: 'members',
        members: 2,
        phases: [
          { name: 'members', status: 'open', allocation: { 'HH-M-NAVY': 4 } },
          { name: 'city', status: 'upcoming' },
          { name: 'public', status: 'upcoming' },
        ],
      },
    });

    // A member buys the last units: the window closes and the drop tips in the same decision.
    const bought = await engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      { customerId: 'member-ana', sku: 'HH-M-NAVY', quantity: 4, channel: 'web', fulfillment: { method: 'ship' } },
      { 'Idempotency-Key': 'phased-1' },
    );
    expect(bought.status).toBe(201);
    const sold = await eventually(engine, `/drops/${dropId}`, (b) => b.soldOut === true, ANON);
    expect(sold).toMatchObject({ status: 'tipped', onSellOut: 'close', openPhase: null, soldOut: true });
    expect(sold.variants).toEqual([expect.objectContaining({ remaining: 0, soldOut: true })]);
    expect(sold.phases.map((p: { status: string }) => p.status)).toEqual(['past', 'past', 'past']);
    const after = await engine.request('GET', `/drops/${dropId}/summary`, undefined, {}, { role: 'analyst' });
    expect(after.body).toMatchObject({ status: 'tipped', soldOut: true, onSellOut: 'close', access: { openPhase: null, members: 2 } });
  });
});
