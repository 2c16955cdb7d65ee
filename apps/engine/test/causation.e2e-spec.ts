import { describeWithPostgres } from '../../../test/support/postgres';
import { DropScheduler } from '../src/scheduler/drop-scheduler';
import { harbourHoodie, placePairs, startTestEngine, TestEngine } from './support/test-engine';

type EventView = {
  eventId: string;
  type: string;
  causationId: string | null;
  correlationId: string;
  actor: string;
  data: Record<string, unknown>;
  depth?: number;
};

/** Causation you can follow (issue 16): the scheduler's events name their cause, and the /events routes walk the chain. */
function suite(store: 'pglite' | 'postgres') {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ store, now: '2026-11-29T10:00:00Z' });
  });
  afterAll(async () => engine?.close());

  /** Scheduling passes until the scheduler's index has seen what was appended and acted on it. */
  async function settle(passes = 5): Promise<void> {
    const scheduler = engine.app.get(DropScheduler);
    while (passes-- > 0) {
      await scheduler.tick();
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  /**
   * Ticks the scheduler until the drop's history holds `count` events of `type` (a loaded machine may
   * need more than settle's passes, and the reactors read the log only below PostgreSQL's safe horizon).
   */
  async function settleUntil(dropId: string, type: string, count = 1, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await settle(1);
      if ((await history(dropId)).filter((e) => e.type === type).length >= count) return;
      if (Date.now() > deadline) throw new Error(`fewer than ${count} ${type} in drop ${dropId}'s history after ${timeoutMs} ms`);
    }
  }
  const history = async (dropId: string, query = ''): Promise<EventView[]> => {
    const res = await engine.request('GET', `/drops/${dropId}/history?limit=1000${query}`);
    expect(res.status).toBe(200);
    return res.body.events;
  };
  const one = (events: EventView[], type: string) => {
    const found = events.filter((e) => e.type === type);
    expect(found).toHaveLength(1);
    return found[0];
  };

  it('names the DropScheduled, or the DropRevised, that set the time of each timed transition', async () => {
    engine.clock.set('2026-11-29T10:00:00Z');
    const asScheduled = (await engine.request('POST', '/drops', harbourHoodie({ minimumOrderQuantity: 1 }))).body.dropId;
    const toRevise = (await engine.request('POST', '/drops', harbourHoodie({ minimumOrderQuantity: 1 }))).body.dropId;
    // The revision moves the times: the transitions of that drop name the revision.
    const revised = await engine.request(
      'PUT',
      `/drops/${toRevise}`,
      harbourHoodie({
        minimumOrderQuantity: 1,
        earlyAccess: { opensAt: '2026-11-30T11:00:00Z', audience: 'repeat-customers' },
        window: { opensAt: '2026-12-01T12:00:00Z', closesAt: '2026-12-08T12:00:00Z' },
      }),
      { 'x-correlation-id': 'revise-window-1' },
    );
    expect(revised.status).toBe(200);
    // Each step's transition is in both drops' histories before the clock moves on.
    for (const [at, type] of [
      ['2026-11-30T11:00:01Z', 'AccessPhaseOpened'],
      ['2026-12-01T12:00:01Z', 'PreOrderWindowOpened'],
      ['2026-12-08T12:00:01Z', 'DropCancelled'],
    ]) {
      engine.clock.set(at);
      for (const dropId of [asScheduled, toRevise]) await settleUntil(dropId, type);
    }
    // The earlyAccess shorthand's phase opens as AccessPhaseOpened (stored EarlyAccessOpened events are upcast on read).
    const timed = ['AccessPhaseOpened', 'PreOrderWindowOpened', 'PreOrderWindowClosed', 'DropCancelled'];

    const original = await history(asScheduled);
    const scheduled = one(original, 'DropScheduled');
    for (const type of timed) {
      expect(one(original, type)).toMatchObject({
        actor: 'system:scheduler',
        causationId: scheduled.eventId,
        correlationId: scheduled.correlationId,
      });
    }

    const events = await history(toRevise);
    const revision = one(events, 'DropRevised');
    expect(revision.correlationId).toBe('revise-window-1');
    for (const type of timed) {
      expect(one(events, type)).toMatchObject({
        actor: 'system:scheduler',
        causationId: revision.eventId,
        correlationId: 'revise-window-1',
      });
    }
    // The route says the same, from the event's side.
    const opened = await engine.request('GET', `/events/${one(events, 'PreOrderWindowOpened').eventId}`);
    expect(opened.status).toBe(200);
    expect(opened.body.causedBy).toBe('event');
    expect(opened.body.cause).toMatchObject({ eventId: revision.eventId, type: 'DropRevised' });
    // And the revision's effects are the four transitions.
    const effects = await engine.request('GET', `/events/${revision.eventId}/effects`);
    expect(effects.body.effects.map((e: EventView) => e.type)).toEqual(timed);
  });

  it('follows a MOQ failure from the close request to DropCancelled to every RefundRequested, and back', async () => {
    engine.clock.set('2026-11-29T10:00:00Z');
    // 5 pre-orders of 2 units: 10 of the 40 needed.
    const dropId = (await engine.request('POST', '/drops', harbourHoodie({ minimumOrderQuantity: 40 }))).body.dropId;
    engine.clock.set('2026-12-02T10:00:00Z');
    await settleUntil(dropId, 'PreOrderWindowOpened');
    await placePairs(engine, dropId, 5, 'moq-');
    // Ops closes early: the window closes below the minimum, in the close's own command.
    const closed = await engine.request('POST', `/drops/${dropId}/close`, undefined, { 'x-correlation-id': 'ops-close-moq' });
    expect(closed.status).toBe(200);
    await settleUntil(dropId, 'RefundRequested', 5);

    // The close's events: one correlation, one causation (the close request).
    const correlated = await history(dropId, '&correlationId=ops-close-moq');
    expect(correlated.map((e) => e.type)).toEqual(['PreOrderWindowClosed', 'DropCancelled', ...Array(5).fill('RefundRequested')]);
    const [windowClosed, cancelled] = correlated;
    expect(cancelled.causationId).toBe(windowClosed.causationId);
    expect(cancelled.actor).toBe(windowClosed.actor);

    // GET /events/:id — the DropCancelled was caused by a request, not by an event.
    const cancelledView = await engine.request('GET', `/events/${cancelled.eventId}`, undefined, {}, { role: 'analyst' });
    expect(cancelledView.status).toBe(200);
    expect(cancelledView.body).toMatchObject({
      causedBy: 'request',
      cause: null,
      event: { type: 'DropCancelled', eventId: cancelled.eventId },
    });

    // …its direct effects: every RefundRequested, one per pre-order, paged.
    const first = await engine.request('GET', `/events/${cancelled.eventId}/effects?limit=3`);
    expect(first.status).toBe(200);
    expect(first.body.effects).toHaveLength(3);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await engine.request('GET', `/events/${cancelled.eventId}/effects?limit=3&after=${first.body.next}`);
    expect(second.body.effects).toHaveLength(2);
    expect(second.body.next).toBeNull();
    // A cursor past the log's number ranges is a bad cursor (400), not a database error (500).
    for (const forged of ['1:9223372036854775808', '18446744073709551616:1']) {
      const refused = await engine.request(
        'GET',
        `/events/${cancelled.eventId}/effects?after=${Buffer.from(forged).toString('base64url')}`,
      );
      expect(refused).toMatchObject({ status: 400, body: { code: 'VALIDATION.FAILED', field: 'after' } });
    }
    const refunds: EventView[] = [...first.body.effects, ...second.body.effects];
    expect(refunds.map((e) => e.type)).toEqual(Array(5).fill('RefundRequested'));
    expect(new Set(refunds.map((e) => e.data.preOrderId)).size).toBe(5);
    for (const refund of refunds) {
      expect(refund).toMatchObject({ causationId: cancelled.eventId, correlationId: 'ops-close-moq', actor: 'system:scheduler' });
    }
    // The history's own filters agree.
    const byType = await history(dropId, '&type=RefundRequested&actor=system:scheduler');
    expect(byType.map((e) => e.eventId).sort()).toEqual(refunds.map((e) => e.eventId).sort());

    // …and back from a refund to its cause.
    const back = await engine.request('GET', `/events/${refunds[4].eventId}`);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({
      causedBy: 'event',
      cause: { eventId: cancelled.eventId, type: 'DropCancelled', correlationId: 'ops-close-moq' },
    });

    // Transitive, bounded: from the close's first event nothing follows (its sibling shares its cause, it is not its effect).
    const transitive = await engine.request('GET', `/events/${cancelled.eventId}/effects?depth=3&limit=4`);
    expect(transitive.status).toBe(200);
    expect(transitive.body.effects).toHaveLength(4);
    expect(transitive.body.truncated).toBe(true);
    const whole = await engine.request('GET', `/events/${cancelled.eventId}/effects?depth=5`);
    expect(whole.body.effects.map((e: EventView) => [e.type, e.depth])).toEqual(Array(5).fill(['RefundRequested', 1]));
    expect(whole.body.truncated).toBe(false);
  });

  it('answers problems for unknown and malformed event ids, bad cursors and depths', async () => {
    const missing = await engine.request('GET', '/events/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('EVENT.NOT_FOUND');
    expect((await engine.request('GET', '/events/00000000-0000-4000-8000-000000000000/effects')).body.code).toBe('EVENT.NOT_FOUND');
    const malformed = await engine.request('GET', '/events/not-an-id');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('VALIDATION.FAILED');
    engine.clock.set('2026-11-29T10:00:00Z');
    const dropId = (await engine.request('POST', '/drops', harbourHoodie())).body.dropId;
    const id = (await history(dropId))[0].eventId;
    for (const query of [
      'depth=6',
      'depth=0',
      'limit=1001',
      'after=!!',
      `after=${Buffer.from('nope').toString('base64url')}`,
      'depth=2&after=abc',
    ]) {
      const res = await engine.request('GET', `/events/${id}/effects?${query}`);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION.FAILED']);
    }
    const badFilter = await engine.request('GET', `/drops/any-drop/history?type=Drop%20Cancelled`);
    expect(badFilter.status).toBe(400);
  });
}

describe('causation chains (PGlite)', () => suite('pglite'));
describeWithPostgres('causation chains (PostgreSQL)', () => suite('postgres'));
