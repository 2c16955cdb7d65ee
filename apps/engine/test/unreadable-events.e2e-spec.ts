import { randomUUID } from 'node:crypto';
import { harbourHoodie, startTestEngine, TestEngine } from './support/test-engine';

/**
 * A drop stream holding an event this engine cannot read — an unknown type, or a schema version
 * newer than it knows (a newer engine wrote it during a rolling upgrade) — answers every command
 * and staff read of that drop with 503 STREAM.UNREADABLE_EVENT naming the revision, never a bare
 * 500; other drops are served as before (docs/reliability.md, "Unknown or corrupted events").
 */
describe('a drop whose stream holds an event this engine cannot read', () => {
  let engine: TestEngine;
  const NOW = '2026-12-01T10:00:00Z';

  beforeAll(async () => {
    engine = await startTestEngine({ now: NOW });
  });
  afterAll(async () => {
    await engine?.close();
  });

  async function openDrop(): Promise<string> {
    const created = await engine.request('POST', '/drops', harbourHoodie());
    expect(created.status).toBe(201);
    const dropId = created.body.dropId as string;
    expect((await engine.request('POST', `/drops/${dropId}/open`, {})).status).toBe(200);
    return dropId;
  }
  /** Appended as another engine would: straight to the store, behind this engine's back. */
  async function appendForeign(dropId: string, type: string, schemaVersion: number): Promise<number> {
    const { nextExpectedRevision } = await engine.databases.store.appendToStream(
      `drop-${dropId}`,
      [
        {
          eventId: randomUUID(),
          type,
          schemaVersion,
          data: { dropId, sku: 'HH-M-NAVY' },
          metadata: { correlationId: randomUUID(), causationId: null, actor: 'ops-newer', occurredAt: NOW, traceparent: '' },
        },
      ],
      'any',
    );
    return nextExpectedRevision;
  }
  const preOrder = (dropId: string) => {
    const customerId = `c-${randomUUID().slice(0, 8)}`;
    return engine.request(
      'POST',
      `/drops/${dropId}/pre-orders`,
      { customerId, sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } },
      { 'idempotency-key': randomUUID() },
      { role: 'customer', sub: customerId },
    );
  };

  it.each([
    ['an unknown type', 'PreOrderTeleported', 1],
    ['a newer schema version', 'DropSoldOut', 99],
  ])('%s: 503 STREAM.UNREADABLE_EVENT for its commands and staff reads; other drops are served', async (_, type, version) => {
    const healthy = await openDrop();
    const broken = await openDrop();
    expect((await preOrder(broken)).status).toBe(201);
    const revision = await appendForeign(broken, type, version);

    for (const res of [
      await preOrder(broken),
      await engine.request('POST', `/drops/${broken}/close`, {}),
      await engine.request('GET', `/drops/${broken}`, undefined, {}, { role: 'ops' }),
      await engine.request('GET', `/drops/${broken}?revision=${revision}`, undefined, {}, { role: 'analyst' }),
    ]) {
      expect({ status: res.status, code: res.body.code, revision: res.body.revision }).toEqual({
        status: 503,
        code: 'STREAM.UNREADABLE_EVENT',
        revision,
      });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    // Its history still reads (an operator's way in), and the other drop sells.
    expect((await engine.request('GET', `/drops/${broken}/history`, undefined, {}, { role: 'ops' })).status).toBe(200);
    expect((await preOrder(healthy)).status).toBe(201);
  });
});
