import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';
import { mintTestToken } from '../../../libs/platform/src/testing/test-auth';

type EventView = { eventId: string; type: string; actor: string; causationId: string | null; data: Record<string, any> };

/** Members first (6 units reserved), then repeat customers, then Bristol, then everyone at window.opensAt. */
const PHASES = [
  { name: 'members', opensAt: '2026-11-28T10:00:00Z', audience: 'members', allocation: { 'HH-M-NAVY': 6 } },
  { name: 'repeat', opensAt: '2026-11-29T10:00:00Z', audience: 'repeat-customers' },
  { name: 'bristol', opensAt: '2026-11-30T10:00:00Z', audience: 'city' },
];
const phased = (overrides: Record<string, unknown> = {}) =>
  harbourHoodie({ earlyAccess: undefined, phases: PHASES, onSellOut: 'close', ...overrides });
const WINDOW_OPENS = '2026-12-01T10:00:00Z';

/**
 * Access phases over HTTP (issue 17): ops keep a drop's members and open phases by hand, buyers
 * outside the open phase learn their own phase and when it opens, a token's `city` claim (or a
 * pickup at the drop's location) admits the city phase, and a malformed claim is refused at the door.
 */
describe('access phases over HTTP (PGlite)', () => {
  let engine: TestEngine;
  let dropId: string;
  let keys = 0;

  beforeAll(async () => {
    engine = await startTestEngine({ now: '2026-11-20T10:00:00Z' });
    const created = await engine.request('POST', '/drops', phased());
    expect(created.status).toBe(201);
    dropId = created.body.dropId;
  });
  afterAll(async () => engine?.close());

  /** Events requests wrote (reactors, e.g. the production run a tipped drop asks for, write as system:<component> at any time). */
  const eventCount = async () =>
    (await engine.databases.readModels.query(`select count(*)::int as n from events where metadata->>'actor' not like 'system:%'`)).rows[0]
      .n as number;
  const history = async (id: string): Promise<EventView[]> => {
    const res = await engine.request('GET', `/drops/${id}/history?limit=1000`);
    expect(res.status).toBe(200);
    return res.body.events;
  };
  const ofType = (events: EventView[], type: string) => events.filter((e) => e.type === type);
  /** A customer's pre-order on the web: shipped, or picked up at the drop's pop-up. */
  const order = (quantity: number, pickup = false) => ({
    sku: 'HH-M-NAVY',
    quantity,
    channel: 'web',
    fulfillment: pickup ? { method: 'pickup', locationId: 'popup-harbourside' } : { method: 'ship' },
  });
  const place = (id: string, customerId: string, body: Record<string, unknown>, token?: string) =>
    engine.request(
      'POST',
      `/drops/${id}/pre-orders`,
      body,
      { 'idempotency-key': `k-${++keys}` },
      token ? { token } : { role: 'customer', sub: customerId },
    );
  const cityToken = (sub: string, city: unknown) => mintTestToken('customer', sub, { claims: { city } });

  it('keeps the members list by ops: add, list in pages, remove; the history says who granted and withdrew access', async () => {
    const added = await engine.request(
      'POST',
      `/drops/${dropId}/members`,
      { customerIds: ['m-2', 'm-1', 'm-3', 'm-1'] },
      {},
      { role: 'ops', sub: 'ops-alice' },
    );
    expect(added).toMatchObject({ status: 200, body: { dropId, members: 3 } });
    // Ids already members are skipped: nothing is recorded.
    const before = await eventCount();
    expect((await engine.request('POST', `/drops/${dropId}/members`, { customerIds: ['m-1'] })).body).toEqual({ dropId, members: 3 });
    expect(await eventCount()).toBe(before);

    const first = await engine.request('GET', `/drops/${dropId}/members?limit=2`);
    expect(first).toMatchObject({ status: 200, body: { dropId, members: 3, customerIds: ['m-1', 'm-2'], next: 'm-2' } });
    const second = await engine.request('GET', `/drops/${dropId}/members?limit=2&after=${first.body.next}`);
    expect(second.body).toEqual({ dropId, members: 3, customerIds: ['m-3'] });
    expect((await engine.request('GET', `/drops/${dropId}/members`)).body).toEqual({
      dropId,
      members: 3,
      customerIds: ['m-1', 'm-2', 'm-3'],
    });

    const removed = await engine.request('DELETE', `/drops/${dropId}/members/m-3`, undefined, {}, { role: 'ops', sub: 'ops-bob' });
    expect(removed).toMatchObject({ status: 200, body: { dropId, members: 2 } });
    // Removing someone who is not a member records nothing.
    const again = await eventCount();
    expect((await engine.request('DELETE', `/drops/${dropId}/members/m-3`)).body).toEqual({ dropId, members: 2 });
    expect(await eventCount()).toBe(again);

    const events = await history(dropId);
    expect(ofType(events, 'DropMembersAdded')).toEqual([
      expect.objectContaining({
        actor: 'ops-alice',
        data: expect.objectContaining({ dropId, customerIds: ['m-2', 'm-1', 'm-3'], addedBy: 'ops-alice' }),
      }),
    ]);
    expect(ofType(events, 'DropMembersRemoved')).toEqual([
      expect.objectContaining({ actor: 'ops-bob', data: expect.objectContaining({ dropId, customerIds: ['m-3'], removedBy: 'ops-bob' }) }),
    ]);
    expect((await engine.request('GET', `/drops/${dropId}`)).body.access.members).toBe(2);
  });

  it('refuses malformed members input with 400 naming the field, and a drop that does not exist with 404; nothing is appended', async () => {
    const before = await eventCount();
    const members = `/drops/${dropId}/members`;
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', members, { customerIds: [] }, 'customerIds'],
      ['POST', members, {}, 'customerIds'],
      ['POST', members, { customerIds: 'm-1' }, 'customerIds'],
      ['POST', members, { customerIds: ['m-5', 'bad id'] }, 'customerIds[1]'],
      ['POST', members, { customerIds: ['m-5', 7] }, 'customerIds[1]'],
      ['POST', members, { customerIds: Array.from({ length: 1001 }, (_, i) => `c-${i}`) }, 'customerIds'],
      ['POST', members, { customerIds: ['m-5'], role: 'vip' }, 'role'],
      ['DELETE', `${members}/bad%20id`, undefined, 'customerId'],
      ['GET', `${members}?limit=0`, undefined, 'limit'],
      ['GET', `${members}?limit=1001`, undefined, 'limit'],
      ['GET', `${members}?after=bad%20id`, undefined, 'after'],
      ['GET', `${members}?offset=2`, undefined, 'offset'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await engine.request(method, path, body);
      expect({ method, path, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        method,
        path,
        status: 400,
        code: 'VALIDATION.FAILED',
        field,
      });
    }
    for (const [method, path, body] of [
      ['POST', '/drops/no-such-drop/members', { customerIds: ['m-1'] }],
      ['DELETE', '/drops/no-such-drop/members/m-1', undefined],
      ['GET', '/drops/no-such-drop/members', undefined],
      ['POST', '/drops/no-such-drop/phases/members/open', undefined],
    ] as const) {
      expect(await engine.request(method, path, body)).toMatchObject({ status: 404, body: { code: 'DROP.NOT_FOUND' } });
    }
    expect(await eventCount()).toBe(before);
  });

  it('opens a phase by hand (ops), once; an unknown phase or the public window is 404 DROP.UNKNOWN_PHASE', async () => {
    const opened = await engine.request('POST', `/drops/${dropId}/phases/members/open`);
    expect(opened).toMatchObject({ status: 200, body: { dropId, status: 'early-access', access: { openPhase: 'members', members: 2 } } });
    expect(opened.body.access.phases.map((p: { name: string; status: string }) => `${p.name}:${p.status}`)).toEqual([
      'members:open',
      'repeat:upcoming',
      'bristol:upcoming',
      'public:upcoming',
    ]);
    const before = await eventCount();
    expect((await engine.request('POST', `/drops/${dropId}/phases/members/open`)).status).toBe(200);
    expect(await eventCount()).toBe(before);
    expect(ofType(await history(dropId), 'AccessPhaseOpened')).toEqual([
      expect.objectContaining({
        actor: 'ops-test',
        data: expect.objectContaining({ phase: 'members', audience: 'members', trigger: 'ops', opensAt: '2026-11-28T10:00:00Z' }),
      }),
    ]);

    expect(await engine.request('POST', `/drops/${dropId}/phases/vip/open`)).toMatchObject({
      status: 404,
      body: { code: 'DROP.UNKNOWN_PHASE', phase: 'vip', phases: ['members', 'repeat', 'bristol'] },
    });
    expect(await engine.request('POST', `/drops/${dropId}/phases/public/open`)).toMatchObject({
      status: 404,
      body: { code: 'DROP.UNKNOWN_PHASE', phase: 'public' },
    });
    for (const bad of ['Members', 'vip%21', `${'a'.repeat(33)}`])
      expect(await engine.request('POST', `/drops/${dropId}/phases/${bad}/open`)).toMatchObject({
        status: 400,
        body: { code: 'VALIDATION.FAILED', field: 'phase' },
      });
    expect(await eventCount()).toBe(before);
  });

  it('sells the members phase to members only, within its allocation; everyone else learns their phase and when it opens (409)', async () => {
    expect((await place(dropId, 'm-1', order(4))).status).toBe(201);
    const refusals: Array<[string, Record<string, unknown>, string | undefined, string, string]> = [
      ['c-outsider', order(1), undefined, 'public', WINDOW_OPENS],
      ['m-3', order(1), undefined, 'public', WINDOW_OPENS], // removed before the phase opened
      ['c-bristol', order(1), cityToken('c-bristol', 'Bristol'), 'bristol', '2026-11-30T10:00:00Z'],
      ['c-pickup', order(1, true), undefined, 'bristol', '2026-11-30T10:00:00Z'],
    ];
    for (const [customerId, body, token, phase, opensAt] of refusals) {
      const res = await place(dropId, customerId, body, token);
      expect({ customerId, status: res.status, body: res.body }).toMatchObject({
        customerId,
        status: 409,
        body: { code: 'DROP.PHASE_NOT_OPEN', phase, opensAt, openPhase: 'members' },
      });
    }
    // 6 units reserved for members: 4 sold, 2 left.
    expect(await place(dropId, 'm-2', order(3))).toMatchObject({ status: 409, body: { code: 'DROP.INSUFFICIENT_STOCK', available: 2 } });
    expect((await place(dropId, 'm-2', order(2))).status).toBe(201);
    expect((await engine.request('POST', `/drops/${dropId}/members`, { customerIds: ['m-4'] })).body.members).toBe(3);
    expect(await place(dropId, 'm-4', order(1))).toMatchObject({
      status: 409,
      body: { code: 'DROP.ALLOCATION_EXHAUSTED', phase: 'members', sku: 'HH-M-NAVY', nextPhase: 'repeat', opensAt: '2026-11-29T10:00:00Z' },
    });
  });

  it("admits the city phase by the token's city claim or by a pickup at the drop's location, and earlier audiences with it", async () => {
    const opened = await engine.request('POST', `/drops/${dropId}/phases/bristol/open`);
    expect(opened.body.access.openPhase).toBe('bristol');
    // The phase skipped on the way is in the history too, each opened by ops.
    expect(ofType(await history(dropId), 'AccessPhaseOpened').map((e) => `${e.data.phase}:${e.data.trigger}:${e.actor}`)).toEqual([
      'members:ops:ops-test',
      'repeat:ops:ops-test',
      'bristol:ops:ops-test',
    ]);
    expect((await place(dropId, 'c-bristol', order(1), cityToken('c-bristol', 'Bristol'))).status).toBe(201);
    expect((await place(dropId, 'c-pickup', order(1, true))).status).toBe(201);
    // A member may buy in every later phase.
    expect((await place(dropId, 'm-4', order(1))).status).toBe(201);
    // The claim must equal the drop's city exactly; another city waits for the public window.
    for (const city of ['Bath', 'bristol']) {
      expect(await place(dropId, `c-${city}`, order(1), cityToken(`c-${city}`, city))).toMatchObject({
        status: 409,
        body: { code: 'DROP.PHASE_NOT_OPEN', phase: 'public', opensAt: WINDOW_OPENS, openPhase: 'bristol' },
      });
    }
    // A till's city claim is where the till stands, not its customer's: a pickup at the pop-up admits them.
    const till = mintTestToken('till', 'till-harbourside', { claims: { city: 'Bristol' } });
    const atTill = { ...order(1), channel: 'popup', customerId: 'c-walk-in' };
    expect(await place(dropId, 'c-walk-in', atTill, till)).toMatchObject({
      status: 409,
      body: { code: 'DROP.PHASE_NOT_OPEN', phase: 'public' },
    });
    expect(
      (await place(dropId, 'c-walk-in', { ...atTill, fulfillment: { method: 'pickup', locationId: 'popup-harbourside' } }, till)).status,
    ).toBe(201);
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'x'.repeat(65)],
    ['a number', 42],
    ['null', null],
    ['a control character', 'Bris\ttol'],
  ])('refuses a token whose city claim is %s: 401 AUTH.TOKEN_INVALID naming city, nothing appended', async (_name, city) => {
    const before = await eventCount();
    const res = await place(dropId, 'c-malformed', order(1), cityToken('c-malformed', city));
    expect(res).toMatchObject({ status: 401, body: { code: 'AUTH.TOKEN_INVALID', field: 'city' } });
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await eventCount()).toBe(before);
  });

  it('keeps DROP.EARLY_ACCESS_ONLY for the earlyAccess shorthand, and lets a repeat customer in', async () => {
    const created = await engine.request('POST', '/drops', harbourHoodie());
    const shorthand = created.body.dropId as string;
    const opened = await engine.request('POST', `/drops/${shorthand}/phases/early-access/open`);
    expect(opened).toMatchObject({ status: 200, body: { status: 'early-access', access: { openPhase: 'early-access' } } });
    expect(await place(shorthand, 'c-first-timer', order(1))).toMatchObject({
      status: 409,
      body: { code: 'DROP.EARLY_ACCESS_ONLY', phase: 'public', opensAt: WINDOW_OPENS, openPhase: 'early-access' },
    });
    // c-pickup bought in the phased drop: once the read model knows, they are a repeat customer.
    for (let i = 0; i < 100; i++) {
      const mine = await engine.request('GET', '/customers/c-pickup/pre-orders');
      if (mine.body.preOrders?.some((p: { dropId: string }) => p.dropId === dropId)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await place(shorthand, 'c-pickup', order(1))).status).toBe(201);
  });

  it('refuses members changes once the window has closed: 409 DROP.MEMBERS_LOCKED', async () => {
    const id = (await engine.request('POST', '/drops', phased({ minimumOrderQuantity: 1 }))).body.dropId as string;
    expect((await engine.request('POST', `/drops/${id}/open`)).status).toBe(200);
    expect((await place(id, 'c-early-bird', order(1))).status).toBe(201);
    expect((await engine.request('POST', `/drops/${id}/close`)).body.status).toBe('tipped');
    expect(await engine.request('POST', `/drops/${id}/members`, { customerIds: ['m-1'] })).toMatchObject({
      status: 409,
      body: { code: 'DROP.MEMBERS_LOCKED', dropStatus: 'tipped' },
    });
    expect(await engine.request('DELETE', `/drops/${id}/members/m-1`)).toMatchObject({
      status: 409,
      body: { code: 'DROP.MEMBERS_LOCKED' },
    });
    // Reading the list stays possible.
    expect((await engine.request('GET', `/drops/${id}/members`)).body).toEqual({ dropId: id, members: 0, customerIds: [] });
  });

  it('describes the new routes and the phases of a definition in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${engine.url}/docs-json`)).json()) as any;
    expect(Object.keys(doc.paths['/drops/{dropId}/members'])).toEqual(expect.arrayContaining(['post', 'get']));
    expect(Object.keys(doc.paths['/drops/{dropId}/members/{customerId}'])).toEqual(['delete']);
    expect(Object.keys(doc.paths['/drops/{dropId}/phases/{phase}/open'])).toEqual(['post']);
    const definition = doc.components.schemas.DropDefinitionDto.properties;
    expect(definition.phases).toMatchObject({ type: 'array', maxItems: 8, items: { $ref: '#/components/schemas/AccessPhaseDto' } });
    expect(definition.onSellOut).toMatchObject({ enum: ['stay-open', 'close'] });
    const phase = doc.components.schemas.AccessPhaseDto;
    expect(phase.required).toEqual(['name', 'opensAt', 'audience']);
    expect(phase.properties.audience.enum).toEqual(['members', 'repeat-customers', 'city', 'everyone']);
    expect(phase.properties.allocation).toMatchObject({ type: 'object', additionalProperties: { type: 'integer', minimum: 0 } });
  });

  describe('definitions', () => {
    it('takes phases and onSellOut, and shows them in the staff view', async () => {
      const view = (await engine.request('GET', `/drops/${dropId}`)).body;
      expect(view.definition.phases).toEqual(PHASES);
      expect(view.onSellOut).toBe('close');
      expect(view.access.phases.map((p: { name: string; audience: string }) => `${p.name}:${p.audience}`)).toEqual([
        'members:members',
        'repeat:repeat-customers',
        'bristol:city',
        'public:everyone',
      ]);
    });

    const phase = (overrides: Record<string, unknown>) => [{ ...PHASES[0], ...overrides }];
    const badInput: Array<[string, Record<string, unknown>, string]> = [
      ['nine phases', { phases: Array.from({ length: 9 }, (_, i) => ({ ...PHASES[0], name: `p${i}` })) }, 'phases'],
      ['no phases', { phases: [] }, 'phases'],
      ['phases that are not a list', { phases: { members: PHASES[0] } }, 'phases'],
      ['a phase that is a list', { phases: [PHASES[0], []] }, 'phases[1]'],
      ['an upper-case name', { phases: phase({ name: 'Members' }) }, 'phases[0].name'],
      ['a name with a space', { phases: phase({ name: 'early birds' }) }, 'phases[0].name'],
      ['a 33-character name', { phases: phase({ name: 'a'.repeat(33) }) }, 'phases[0].name'],
      ['no name', { phases: phase({ name: undefined }) }, 'phases[0].name'],
      ['an opensAt that is no instant', { phases: phase({ opensAt: 'tomorrow' }) }, 'phases[0].opensAt'],
      ['an unknown audience', { phases: phase({ audience: 'vips' }) }, 'phases[0].audience'],
      ['a negative allocation', { phases: phase({ allocation: { 'HH-M-NAVY': -1 } }) }, 'phases[0].allocation.HH-M-NAVY'],
      ['a fractional allocation', { phases: phase({ allocation: { 'HH-M-NAVY': 1.5 } }) }, 'phases[0].allocation.HH-M-NAVY'],
      ['an allocation as text', { phases: phase({ allocation: { 'HH-M-NAVY': '5' } }) }, 'phases[0].allocation.HH-M-NAVY'],
      ['an empty allocation', { phases: phase({ allocation: {} }) }, 'phases[0].allocation'],
      ['an allocation that is a list', { phases: phase({ allocation: [5] }) }, 'phases[0].allocation'],
      ['an allocation keyed by no SKU', { phases: phase({ allocation: { 'not a sku': 1 } }) }, 'phases[0].allocation'],
      ['an unknown phase field', { phases: phase({ colour: 'gold' }) }, 'phases[0].colour'],
      ['an unknown onSellOut', { onSellOut: 'vanish' }, 'onSellOut'],
    ];
    it.each(badInput)('refuses %s with 400 VALIDATION.FAILED naming the field, on POST and PUT', async (_name, overrides, field) => {
      const before = await eventCount();
      for (const [method, path] of [
        ['POST', '/drops'],
        ['PUT', `/drops/${dropId}`],
      ]) {
        const res = await engine.request(method, path, phased(overrides));
        expect({ method, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
          method,
          status: 400,
          code: 'VALIDATION.FAILED',
          field,
        });
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
      expect(await eventCount()).toBe(before);
    });

    // Rules across fields are the domain's (validateDropDefinition): 422 naming the field.
    const inconsistent: Array<[string, Record<string, unknown>, string]> = [
      [
        'an allocation of a SKU the drop does not sell',
        { phases: phase({ allocation: { 'HH-L-NAVY': 1 } }) },
        'phases[0].allocation.HH-L-NAVY',
      ],
      [
        'allocations above the edition cap',
        { phases: [PHASES[0], { ...PHASES[1], allocation: { 'HH-M-NAVY': 45 } }] },
        'phases[1].allocation.HH-M-NAVY',
      ],
      ['a phase after the public window opens', { phases: phase({ opensAt: '2026-12-02T10:00:00Z' }) }, 'phases[0].opensAt'],
      ['phases out of order', { phases: [PHASES[1], { ...PHASES[0], name: 'late' }] }, 'phases[1].opensAt'],
      ['two phases of one name', { phases: [PHASES[0], { ...PHASES[1], name: 'members' }] }, 'phases[1].name'],
      ['a city phase for a drop without a city', { city: undefined, phases: [PHASES[2]] }, 'phases[0].audience'],
      ['phases beside earlyAccess', { earlyAccess: { opensAt: '2026-11-27T10:00:00Z', audience: 'repeat-customers' } }, 'phases'],
    ];
    it.each(inconsistent)('refuses %s with 422 DROP.INVALID_DEFINITION naming the field', async (_name, overrides, field) => {
      const res = await engine.request('POST', '/drops', phased(overrides));
      expect(res).toMatchObject({ status: 422, body: { code: 'DROP.INVALID_DEFINITION', field } });
    });
  });
});
