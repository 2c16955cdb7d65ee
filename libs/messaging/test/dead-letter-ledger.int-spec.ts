import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { ensureEventStoreSchema, PostgresEventStore, type RecordedEvent } from '@dropline/event-store';
import {
  DeadLetterLedger,
  DeadLetterRetention,
  DeadLetterSinks,
  dropEventsCodec,
  EffectivelyOnceConsumer,
  LISTED_PAGE_BYTES,
  LISTED_VALUE_CHARS,
  PRUNE_SLICE,
  type Queryable,
  REDRIVE_STALE_AFTER_SECONDS,
  TableDeadLetterSink,
  TransientDeliveryError,
} from '../src';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { readAllShowing } from '../../../test/support/log';
import { createTestPostgresDatabase, describeWithPostgres } from '../../../test/support/postgres';
import { appendInterleaved, RecordingHandler } from './fixtures';

const codec = dropEventsCodec('/dropline/test');

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The ledger's behaviour on one database (PGlite: the embedded default; PostgreSQL: server mode). */
function ledgerSuite(open: () => Promise<{ pool: Pool; close(): Promise<void> }>): void {
  let db: { pool: Pool; close(): Promise<void> };
  let events: RecordedEvent[];
  let n = 0;

  beforeAll(async () => {
    db = await open();
    await ensureEventStoreSchema(db.pool);
    const store = new PostgresEventStore(db.pool);
    const ids = await appendInterleaved(store, ['kilo', 'lima'], 10);
    events = (await readAllShowing(store, { filter: { streamPrefixes: ['drop-'] } }, ids.length)).events;
  });
  afterAll(async () => {
    await db?.close();
  });

  /**
   * The claim of a redrive still running goes stale, and a second redrive takes it over and fails
   * (the database, as it forgets the ce_id's record), releasing the row.
   */
  async function failedTakeover(consumer: EffectivelyOnceConsumer, id: string): Promise<void> {
    await db.pool.query(`update ${consumer.schema}.dead_letters set redriven_at = now() - make_interval(secs => $2) where id = $1`, [
      id,
      REDRIVE_STALE_AFTER_SECONDS + 1,
    ]);
    const failingDb: Queryable = {
      query: async (text, values) => {
        if (/^delete from .*processed_events/.test(text))
          throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
        return db.pool.query(text, values);
      },
    };
    await expect(new DeadLetterLedger(failingDb, consumer).redrive([id])).rejects.toBeInstanceOf(TransientDeliveryError);
  }

  /** A consumer over its own schema, with its table of dead letters and the ledger over both. */
  async function consumerWithLedger() {
    const handler = new RecordingHandler(`ledger_${++n}`);
    const sink = new TableDeadLetterSink(db.pool, handler.name);
    const consumer = new EffectivelyOnceConsumer(db.pool, codec, handler, sink);
    await consumer.migrate();
    await sink.ensureSchema();
    const applied = async () =>
      (await db.pool.query(`select ce_id from ${handler.name}.applied order by ordinal`)).rows.map((r) => r.ce_id);
    return { handler, consumer, ledger: new DeadLetterLedger(db.pool, consumer), applied };
  }

  it('redrives a rejected event once its cause is gone: applied once, its ce_id no longer refused, a second redrive changes nothing', async () => {
    const { handler, consumer, ledger, applied } = await consumerWithLedger();
    handler.reject = (e) => e.id === events[1].eventId;
    expect(await consumer.handle(codec.encode(events[0]))).toBe('applied');
    expect(await consumer.handle(codec.encode(events[1]))).toBe('dead-lettered');
    // A re-delivery is deduplicated by its recorded ce_id: the rejection is not repeated.
    expect(await consumer.handle(codec.encode(events[1]))).toBe('duplicate');
    const { deadLetters, next } = await ledger.list({ limit: 10 });
    expect(next).toBeNull();
    expect(deadLetters).toEqual([
      expect.objectContaining({
        ceId: events[1].eventId,
        ceType: 'dropline.preorder.placed.v1',
        reason: 'rejected:TEST.REJECTED',
        encoding: 'utf8',
        key: codec.encode(events[1]).key,
        redrivenAt: null,
        redriveOutcome: null,
      }),
    ]);
    expect(JSON.parse(deadLetters[0].value!)).toEqual(events[1].data);

    handler.reject = () => false;
    const id = deadLetters[0].id;
    expect(await ledger.redrive([id])).toEqual([{ id, outcome: 'applied' }]);
    expect(await applied()).toEqual([events[0].eventId, events[1].eventId]);
    expect(await ledger.redrive([id])).toEqual([{ id, outcome: 'already-redriven', previousOutcome: 'applied' }]);
    expect(await ledger.redrive(['999999'])).toEqual([{ id: '999999', outcome: 'not-found' }]);
    expect(await consumer.handle(codec.encode(events[1]))).toBe('duplicate');
    expect(await applied()).toEqual([events[0].eventId, events[1].eventId]);
    const [row] = (await ledger.list({ limit: 10 })).deadLetters;
    expect(row).toMatchObject({ id, redriveOutcome: 'applied' });
    expect(Date.parse(row.redrivenAt!)).not.toBeNaN();
    expect((await ledger.list({ limit: 10, pending: true })).deadLetters).toEqual([]);
  });

  it('dead-letters again, as a new row, what is still refused, and keeps bytes that are not text exactly', async () => {
    const { consumer, ledger } = await consumerWithLedger();
    const good = codec.encode(events[2]);
    const binary = Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x22]);
    expect(await consumer.handle({ ...good, value: binary, headers: { ...good.headers, 'x-note': 'a\u0000b' } })).toBe('dead-lettered');
    const unknown = { ...good, headers: { ...good.headers, ce_id: randomUUID(), ce_type: 'dropline.preorder.placed.v9' } };
    expect(await consumer.handle(unknown)).toBe('dead-lettered');
    const first = (await ledger.list({ limit: 10 })).deadLetters;
    expect(first.map((d) => [d.reason, d.encoding])).toEqual([
      ['unparseable', 'base64'],
      ['unknown-schema', 'utf8'],
    ]);
    expect(Buffer.from(first[0].value!, 'base64')).toEqual(binary);
    expect(first[0].headers['x-note']).toBe('a\ufffdb');

    const results = await ledger.redrive([first[1].id, first[0].id]);
    // In id order, whatever order they were asked in.
    expect(results).toEqual([
      { id: first[0].id, outcome: 'dead-lettered' },
      { id: first[1].id, outcome: 'dead-lettered' },
    ]);
    const all = (await ledger.list({ limit: 10 })).deadLetters;
    expect(all.map((d) => [d.reason, d.redriveOutcome])).toEqual([
      ['unparseable', 'dead-lettered'],
      ['unknown-schema', 'dead-lettered'],
      ['unparseable', null],
      ['unknown-schema', null],
    ]);
    expect(all[2].value).toBe(first[0].value);
    expect(all[3].ceId).toBe(unknown.headers.ce_id);
    expect((await ledger.list({ limit: 10, pending: true })).deadLetters.map((d) => d.id)).toEqual([all[2].id, all[3].id]);
    expect((await ledger.list({ limit: 10, reason: 'unknown-schema' })).deadLetters.map((d) => d.id)).toEqual([all[1].id, all[3].id]);
  });

  it('pages in id order and filters rejections by code or all together', async () => {
    const { handler, consumer, ledger } = await consumerWithLedger();
    handler.reject = () => true;
    for (const event of events.slice(0, 5)) expect(await consumer.handle(codec.encode(event))).toBe('dead-lettered');
    const first = await ledger.list({ limit: 2 });
    const second = await ledger.list({ limit: 2, after: first.next! });
    const third = await ledger.list({ limit: 2, after: second.next! });
    expect([...first.deadLetters, ...second.deadLetters, ...third.deadLetters].map((d) => d.ceId)).toEqual(
      events.slice(0, 5).map((e) => e.eventId),
    );
    expect(third.next).toBeNull();
    expect((await ledger.list({ limit: 10, reason: 'rejected' })).deadLetters).toHaveLength(5);
    expect((await ledger.list({ limit: 10, reason: 'rejected:TEST.REJECTED' })).deadLetters).toHaveLength(5);
    expect((await ledger.list({ limit: 10, reason: 'rejected:TEST.OTHER' })).deadLetters).toHaveLength(0);
    expect((await ledger.list({ limit: 10, reason: 'unparseable' })).deadLetters).toHaveLength(0);
  });

  it('applies a dead letter once when redrives race each other and a re-delivery', async () => {
    const { handler, consumer, ledger, applied } = await consumerWithLedger();
    handler.reject = () => true;
    expect(await consumer.handle(codec.encode(events[3]))).toBe('dead-lettered');
    expect(await consumer.handle(codec.encode(events[4]))).toBe('dead-lettered');
    const [a, b] = (await ledger.list({ limit: 10 })).deadLetters.map((d) => d.id);
    handler.reject = () => false;
    const answers = await Promise.all([
      ledger.redrive([a, b]),
      ledger.redrive([a, b]),
      ledger.redrive([b]),
      // The live consumer sees the event again meanwhile (its ce_id was recorded as dead-lettered: a duplicate until redriven).
      consumer.handle(codec.encode(events[3])),
    ]);
    const outcomes = [answers[0], answers[1], answers[2]].flat().map((r) => r.outcome);
    expect(outcomes.filter((o) => o === 'applied' || o === 'duplicate')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'already-redriven')).toHaveLength(3);
    expect((await applied()).sort()).toEqual([events[3].eventId, events[4].eventId].sort());
  });

  it('releases the row when the database fails mid-redrive, so a later redrive applies it', async () => {
    const { handler, consumer, ledger, applied } = await consumerWithLedger();
    handler.reject = () => true;
    expect(await consumer.handle(codec.encode(events[5]))).toBe('dead-lettered');
    const [dl] = (await ledger.list({ limit: 10 })).deadLetters;
    handler.reject = () => false;
    handler.failFirst = 2; // its first apply was the rejection: the redrive's is the second
    await expect(ledger.redrive([dl.id])).rejects.toBeInstanceOf(TransientDeliveryError);
    expect((await ledger.list({ limit: 10, pending: true })).deadLetters).toEqual([
      expect.objectContaining({ id: dl.id, redriveOutcome: null }),
    ]);
    expect(await ledger.redrive([dl.id])).toEqual([{ id: dl.id, outcome: 'applied' }]);
    expect(await applied()).toEqual([events[5].eventId]);
  });

  it('keeps its claim when the database fails during the redrive and the release: taken again once stale, then applied', async () => {
    const { handler, consumer, applied } = await consumerWithLedger();
    handler.reject = () => true;
    expect(await consumer.handle(codec.encode(events[8]))).toBe('dead-lettered');
    handler.reject = () => false;
    // The ledger's own connection fails too once the redrive has begun (an outage, not a handler error).
    let down = false;
    const flaky: Queryable = {
      query: async (text, values) => {
        if (down) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
        const result = await db.pool.query(text, values);
        if (/redrive_outcome = 'redriving'/.test(text) && /returning/.test(text)) down = true;
        return result;
      },
    };
    const [dl] = (await new DeadLetterLedger(db.pool, consumer).list({ limit: 10 })).deadLetters;
    await expect(new DeadLetterLedger(flaky, consumer).redrive([dl.id])).rejects.toBeInstanceOf(TransientDeliveryError);
    const ledger = new DeadLetterLedger(db.pool, consumer);
    expect(await ledger.redrive([dl.id])).toEqual([{ id: dl.id, outcome: 'already-redriven', previousOutcome: 'redriving' }]);
    expect((await ledger.list({ limit: 10, pending: true })).deadLetters).toEqual([]);
    await db.pool.query(`update ${consumer.schema}.dead_letters set redriven_at = now() - make_interval(secs => $2) where id = $1`, [
      dl.id,
      REDRIVE_STALE_AFTER_SECONDS + 1,
    ]);
    expect(await ledger.redrive([dl.id])).toEqual([{ id: dl.id, outcome: 'applied' }]);
    expect(await applied()).toEqual([events[8].eventId]);
  });

  it('writes a dead letter sent again (a retried send) once while it waits, and again once redriven', async () => {
    const { consumer, ledger } = await consumerWithLedger();
    const sink = new TableDeadLetterSink(db.pool, consumer.schema);
    const poison = { key: 'x', value: Buffer.from('{not json'), headers: { ce_id: randomUUID() } };
    for (let i = 0; i < 3; i++) expect(await consumer.handle(poison)).toBe('dead-lettered');
    await sink.send({ consumer: consumer.schema, reason: 'unparseable', detail: 'another detail', message: poison });
    const [first, ...rest] = (await ledger.list({ limit: 10 })).deadLetters;
    expect(rest).toEqual([]);
    expect(await ledger.redrive([first.id])).toEqual([{ id: first.id, outcome: 'dead-lettered' }]);
    expect(await consumer.handle(poison)).toBe('dead-lettered');
    expect((await ledger.list({ limit: 10 })).deadLetters.map((d) => d.redriveOutcome)).toEqual(['dead-lettered', null]);
  });

  it('reports a message refused again meanwhile as dead-lettered, not as a duplicate', async () => {
    const { handler, consumer } = await consumerWithLedger();
    handler.reject = () => true;
    expect(await consumer.handle(codec.encode(events[9]))).toBe('dead-lettered');
    // What a re-delivery racing the redrive does: it refuses the event again between the redrive's
    // forgetting of the ce_id and its own claim, so the redrive's delivery finds the ce_id taken.
    const racing = Object.create(consumer) as EffectivelyOnceConsumer;
    racing.handle = async (message) => {
      expect(await consumer.handle(message)).toBe('dead-lettered');
      return consumer.handle(message);
    };
    const ledger = new DeadLetterLedger(db.pool, racing);
    const [dl] = (await ledger.list({ limit: 10 })).deadLetters;
    expect(await ledger.redrive([dl.id])).toEqual([{ id: dl.id, outcome: 'dead-lettered' }]);
  });

  it('lists the first 64 KiB of a long value, and redrives all of it', async () => {
    const { consumer, ledger } = await consumerWithLedger();
    const long = `{"${'x'.repeat(70_000)}`;
    expect(await consumer.handle({ key: 'x', value: Buffer.from(long), headers: {} })).toBe('dead-lettered');
    const [dl] = (await ledger.list({ limit: 10 })).deadLetters;
    expect([dl.value!.length, dl.valueTruncated]).toEqual([LISTED_VALUE_CHARS, true]);
    expect(dl.value).toBe(long.slice(0, LISTED_VALUE_CHARS));
    expect(await ledger.redrive([dl.id])).toEqual([{ id: dl.id, outcome: 'dead-lettered' }]);
    const { rows } = await db.pool.query(`select length(value) as n from ${consumer.schema}.dead_letters order by id`);
    expect(rows.map((r) => Number(r.n))).toEqual([long.length, long.length]);
    const short = (await ledger.list({ limit: 10, pending: true })).deadLetters;
    expect(short[0].valueTruncated).toBe(true);
  });

  it('dismisses what no redrive will apply: off the waiting list, kept for the audit, never handed over', async () => {
    const { consumer, ledger } = await consumerWithLedger();
    const poison = { key: 'x', value: Buffer.from('{not json'), headers: { ce_id: randomUUID() } };
    const other = { key: 'y', value: Buffer.from('nor this'), headers: {} };
    expect(await consumer.handle(poison)).toBe('dead-lettered');
    expect(await consumer.handle(other)).toBe('dead-lettered');
    const [a, b] = (await ledger.list({ limit: 10 })).deadLetters.map((d) => d.id);
    expect(await ledger.waiting()).toBe(2);
    await db.pool.query(`update ${consumer.schema}.dead_letters set redriven_at = now(), redrive_outcome = 'redriving' where id = $1`, [b]);
    expect(await ledger.dismiss([b, a, a, '999999'])).toEqual([
      { id: a, outcome: 'dismissed' },
      { id: b, outcome: 'already-redriven', previousOutcome: 'redriving' },
      { id: '999999', outcome: 'not-found' },
    ]);
    expect(await ledger.redrive([a])).toEqual([{ id: a, outcome: 'already-redriven', previousOutcome: 'dismissed' }]);
    expect(await ledger.dismiss([a])).toEqual([{ id: a, outcome: 'already-redriven', previousOutcome: 'dismissed' }]);
    expect((await ledger.list({ limit: 10, pending: true })).deadLetters).toEqual([]);
    expect(await ledger.waiting()).toBe(0);
    expect((await ledger.list({ limit: 10 })).deadLetters.map((d) => [d.id, d.redriveOutcome])).toEqual([
      [a, 'dismissed'],
      [b, 'redriving'],
    ]);
    // Delivered again later (a relay re-publish), a dismissed message stays written off: no new row.
    expect(await consumer.handle(poison)).toBe('dead-lettered');
    expect((await ledger.list({ limit: 10 })).deadLetters).toHaveLength(2);
    expect(await ledger.waiting()).toBe(0);
    // A claim gone stale is never dismissed (its redrive may have applied the message): only a redrive takes it over.
    await db.pool.query(`update ${consumer.schema}.dead_letters set redriven_at = now() - make_interval(secs => $2) where id = $1`, [
      b,
      REDRIVE_STALE_AFTER_SECONDS + 1,
    ]);
    expect(await ledger.waiting()).toBe(1);
    expect(await ledger.dismiss([b])).toEqual([{ id: b, outcome: 'already-redriven', previousOutcome: 'redriving' }]);
    expect(await ledger.redrive([b])).toEqual([{ id: b, outcome: 'dead-lettered' }]);
  });

  it('takes over a redrive whose process died mid-way once it is stale, and not before', async () => {
    const { handler, consumer, ledger, applied } = await consumerWithLedger();
    handler.reject = () => true;
    expect(await consumer.handle(codec.encode(events[6]))).toBe('dead-lettered');
    const [dl] = (await ledger.list({ limit: 10 })).deadLetters;
    handler.reject = () => false;
    // A redrive claimed the row and its process died before it finished.
    await db.pool.query(`update ${consumer.schema}.dead_letters set redriven_at = now(), redrive_outcome = 'redriving' where id = $1`, [
      dl.id,
    ]);
    expect(await ledger.redrive([dl.id])).toEqual([{ id: dl.id, outcome: 'already-redriven', previousOutcome: 'redriving' }]);
    expect((await ledger.list({ limit: 10, pending: true })).deadLetters).toEqual([]);
    await db.pool.query(`update ${consumer.schema}.dead_letters set redriven_at = now() - make_interval(secs => $2) where id = $1`, [
      dl.id,
      REDRIVE_STALE_AFTER_SECONDS + 1,
    ]);
    expect((await ledger.list({ limit: 10, pending: true })).deadLetters.map((d) => d.id)).toEqual([dl.id]);
    expect(await ledger.redrive([dl.id])).toEqual([{ id: dl.id, outcome: 'applied' }]);
    expect(await applied()).toEqual([events[6].eventId]);
  });

  it('settles a redrive whose message was dead-lettered again before the topic failed: its new row waits, once', async () => {
    const handler = new RecordingHandler(`ledger_${++n}`);
    const table = new TableDeadLetterSink(db.pool, handler.name);
    let topicDown = false;
    const topic = { send: async () => void (topicDown && (await Promise.reject(new Error('broker down')))) };
    const consumer = new EffectivelyOnceConsumer(db.pool, codec, handler, new DeadLetterSinks(table, topic));
    await consumer.migrate();
    await table.ensureSchema();
    const ledger = new DeadLetterLedger(db.pool, consumer);
    handler.reject = () => true;
    expect(await consumer.handle(codec.encode(events[10]))).toBe('dead-lettered');
    const [first] = (await ledger.list({ limit: 10 })).deadLetters;
    // Refused again: the table takes the new row, then the topic fails.
    topicDown = true;
    await expect(ledger.redrive([first.id])).rejects.toBeInstanceOf(TransientDeliveryError);
    const rows = (await ledger.list({ limit: 10 })).deadLetters;
    expect(rows.map((d) => [d.id, d.redriveOutcome])).toEqual([
      [first.id, 'dead-lettered'],
      [rows[1].id, null],
    ]);
    expect(await ledger.waiting()).toBe(1);
    expect(await ledger.redrive([first.id])).toEqual([{ id: first.id, outcome: 'already-redriven', previousOutcome: 'dead-lettered' }]);
    topicDown = false;
    handler.reject = () => false;
    expect(await ledger.redrive([rows[1].id])).toEqual([{ id: rows[1].id, outcome: 'applied' }]);
    expect(await ledger.waiting()).toBe(0);
  });

  it('records a dismissed event as refused, so it stays skipped once the consumer knows its schema', async () => {
    const { consumer, ledger, applied } = await consumerWithLedger();
    const known = codec.encode(events[11]);
    const newer = { ...known, headers: { ...known.headers, ce_type: 'dropline.preorder.placed.v9' } };
    expect(await consumer.handle(newer)).toBe('dead-lettered');
    // Bytes that do not parse, carrying the ce_id of another real event: written off without refusing that event.
    const garbled = { key: 'x', value: Buffer.from('{garbled'), headers: { ce_id: events[12].eventId } };
    expect(await consumer.handle(garbled)).toBe('dead-lettered');
    const [unknown, unparseable] = (await ledger.list({ limit: 10 })).deadLetters;
    expect([unknown.reason, unparseable.reason]).toEqual(['unknown-schema', 'unparseable']);
    expect(await ledger.dismiss([unknown.id, unparseable.id])).toEqual([
      { id: unknown.id, outcome: 'dismissed' },
      { id: unparseable.id, outcome: 'dismissed' },
    ]);
    // The same event as a consumer that knows its type receives it (an upgrade, then a relay re-publish).
    expect(await consumer.handle(known)).toBe('duplicate');
    // Garbled bytes carrying a rejected event's ce_id: their redrive leaves that event's refusal alone.
    const { rows: before } = await db.pool.query(`select outcome from ${consumer.schema}.processed_events where ce_id = $1`, [
      events[11].eventId,
    ]);
    expect(before).toEqual([{ outcome: 'dead-lettered' }]);
    const garbledAgain = { key: 'x', value: Buffer.from('{garbled again'), headers: { ce_id: events[11].eventId } };
    expect(await consumer.handle(garbledAgain)).toBe('dead-lettered');
    const again = (await ledger.list({ limit: 10, pending: true })).deadLetters;
    expect(again.map((d) => d.reason)).toEqual(['unparseable']);
    expect(await ledger.redrive([again[0].id])).toEqual([{ id: again[0].id, outcome: 'dead-lettered' }]);
    expect(await consumer.handle(known)).toBe('duplicate');
    expect(await consumer.handle(codec.encode(events[12]))).toBe('applied');
    expect(await applied()).toEqual([events[12].eventId]);
  });

  it('ends a page at LISTED_PAGE_BYTES, whatever the keys and headers hold, and pages on from there', async () => {
    const { consumer, ledger } = await consumerWithLedger();
    const sink = new TableDeadLetterSink(db.pool, consumer.schema);
    const third = Math.ceil(LISTED_PAGE_BYTES / 3);
    for (let i = 0; i < 5; i++)
      await sink.send({
        consumer: consumer.schema,
        reason: 'unparseable',
        detail: 'large',
        message: { key: `${i}`.padEnd(third / 2, 'k'), value: Buffer.from('v'), headers: { big: ''.padEnd(third / 2, 'h') } },
      });
    const first = await ledger.list({ limit: 100 });
    // Three rows reach the budget: the third is the one that does.
    expect(first.deadLetters).toHaveLength(3);
    expect(first.next).toBe(first.deadLetters[2].id);
    const second = await ledger.list({ limit: 100, after: first.next! });
    expect(second.deadLetters).toHaveLength(2);
    expect(second.next).toBeNull();
    // A row over the budget on its own is still listed, one a page.
    expect((await ledger.list({ limit: 1 })).deadLetters).toHaveLength(1);
  });

  it('records the outcome of a redrive that finishes after a takeover of its claim failed and released it', async () => {
    const { handler, consumer, ledger, applied } = await consumerWithLedger();
    handler.reject = () => true;
    expect(await consumer.handle(codec.encode(events[13]))).toBe('dead-lettered');
    const [dl] = (await ledger.list({ limit: 10 })).deadLetters;
    handler.reject = () => false;
    // The first redrive applies the message, then waits before it records so (a slow database, a paused process)...
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let waiting = false;
    const slowDb: Queryable = {
      query: async (text, values) => {
        if (/set redriven_at = now\(\), redrive_outcome = \$2/.test(text)) {
          waiting = true;
          await gate;
        }
        return db.pool.query(text, values);
      },
    };
    const slow = new DeadLetterLedger(slowDb, consumer).redrive([dl.id]);
    while (!waiting) await new Promise((r) => setTimeout(r, 10));
    // ...its claim goes stale, and a second redrive takes it over and fails, releasing the row.
    await failedTakeover(consumer, dl.id);
    expect(await ledger.waiting()).toBe(1);
    open();
    expect(await slow).toEqual([{ id: dl.id, outcome: 'applied' }]);
    expect((await ledger.list({ limit: 10 })).deadLetters.map((d) => d.redriveOutcome)).toEqual(['applied']);
    expect(await ledger.waiting()).toBe(0);
    expect(await applied()).toEqual([events[13].eventId]);
  });

  it('leaves a row released by a failed takeover waiting when the first redrive is refused again', async () => {
    const handler = new RecordingHandler(`ledger_${++n}`);
    const table = new TableDeadLetterSink(db.pool, handler.name);
    // The first redrive's refusal waits before it is written (no connection held meanwhile).
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let gated = false;
    let waiting = false;
    const sink = {
      send: async (letter: Parameters<TableDeadLetterSink['send']>[0]) => {
        if (gated) {
          waiting = true;
          await gate;
        }
        await table.send(letter);
      },
    };
    const consumer = new EffectivelyOnceConsumer(db.pool, codec, handler, sink);
    await consumer.migrate();
    await table.ensureSchema();
    const ledger = new DeadLetterLedger(db.pool, consumer);
    handler.reject = () => true;
    expect(await consumer.handle(codec.encode(events[14]))).toBe('dead-lettered');
    const [dl] = (await ledger.list({ limit: 10 })).deadLetters;
    gated = true;
    const slow = ledger.redrive([dl.id]);
    while (!waiting) await new Promise((r) => setTimeout(r, 10));
    // Its claim goes stale; a takeover fails and releases the row, which waits again.
    await failedTakeover(consumer, dl.id);
    // The refusal is written now: it meets the waiting row on the fingerprint, so no new row.
    open();
    expect(await slow).toEqual([{ id: dl.id, outcome: 'dead-lettered' }]);
    expect((await ledger.list({ limit: 10 })).deadLetters.map((d) => [d.id, d.redriveOutcome])).toEqual([[dl.id, null]]);
    expect(await ledger.waiting()).toBe(1);
  });

  it('prunes what was settled longer ago than the retention, in slices; what waits or is being redriven stays', async () => {
    const { consumer, ledger } = await consumerWithLedger();
    const table = `${consumer.schema}.dead_letters`;
    // 2,500 settled long ago (more than two slices), as each way of settling leaves them.
    await db.pool.query(
      `insert into ${table} (ce_id, reason, detail, key, value, headers, encoding, fingerprint, redriven_at, redrive_outcome)
       select 'old-' || i, 'unparseable', 'old', null, 'v' || i, '{}'::jsonb, 'utf8', 'fp-old-' || i, now() - interval '40 days',
              (array['applied', 'duplicate', 'skipped', 'dead-lettered', 'dismissed'])[1 + i % 5]
         from generate_series(1, $1::int) as i`,
      [PRUNE_SLICE * 2 + 500],
    );
    const keep = async (ceId: string, redrivenAt: string | null, outcome: string | null) =>
      db.pool.query(
        `insert into ${table} (ce_id, reason, detail, key, value, headers, encoding, fingerprint, dead_lettered_at, redriven_at, redrive_outcome)
         values ($1, 'unparseable', 'kept', null, 'v', '{}'::jsonb, 'utf8', 'fp-' || $1, now() - interval '400 days', $2::timestamptz, $3)`,
        [ceId, redrivenAt, outcome],
      );
    await keep('waiting', null, null);
    await keep('stale-claim', new Date(Date.now() - 40 * 86_400_000).toISOString(), 'redriving');
    await keep('recent', new Date(Date.now() - 20 * 86_400_000).toISOString(), 'dismissed');
    expect(await ledger.prune(30)).toBe(PRUNE_SLICE * 2 + 500);
    expect(await ledger.prune(30)).toBe(0);
    const left = async () => (await ledger.list({ limit: 10 })).deadLetters.map((d) => d.ceId);
    expect(await left()).toEqual(['waiting', 'stale-claim', 'recent']);
    // The stale claim still counts as waiting, and a redrive may still take it.
    expect(await ledger.waiting()).toBe(2);
    expect(await ledger.prune(10)).toBe(1);
    expect(await left()).toEqual(['waiting', 'stale-claim']);
    // Asked to stop, it deletes nothing more.
    await keep('settled-again', new Date(Date.now() - 40 * 86_400_000).toISOString(), 'applied');
    const stopped = new AbortController();
    stopped.abort();
    expect(await ledger.prune(30, stopped.signal)).toBe(0);
    expect(await left()).toEqual(['waiting', 'stale-claim', 'settled-again']);
  });

  it('prunes every ledger at start and then each round, and keeps going after a failed round', async () => {
    const { consumer, ledger } = await consumerWithLedger();
    const settledLongAgo = () =>
      db.pool.query(
        `insert into ${consumer.schema}.dead_letters (ce_id, reason, detail, headers, encoding, fingerprint, redriven_at, redrive_outcome)
         values (gen_random_uuid()::text, 'unparseable', 'old', '{}'::jsonb, 'utf8', gen_random_uuid()::text, now() - interval '100 days', 'dismissed')`,
      );
    await settledLongAgo();
    const count = async () => Number((await db.pool.query(`select count(*) from ${consumer.schema}.dead_letters`)).rows[0].count);
    let failing = false;
    const flaky = Object.assign(Object.create(ledger) as DeadLetterLedger, {
      prune: (days: number) => (failing ? Promise.reject(new Error('database down')) : ledger.prune(days)),
    });
    const logged: string[] = [];
    const logger = { log: (m: string) => logged.push(`log ${m}`), warn: (m: string) => logged.push(`warn ${m}`), error: () => undefined };
    const retention = new DeadLetterRetention([flaky], { days: 90, logger, everyMs: 50 });
    retention.start();
    try {
      // The line comes once the round's delete has committed and returned.
      await until(async () => logged.some((l) => l.includes(`${consumer.handler.name}: pruned 1 dead letter(s)`)));
      expect(await count()).toBe(0);
      failing = true;
      await until(async () => logged.some((l) => l.startsWith('warn') && l.includes('database down')));
      failing = false;
      await settledLongAgo();
      await until(async () => (await count()) === 0);
    } finally {
      await retention.stop();
    }
    // Stopped: no round runs any more.
    await settledLongAgo();
    await new Promise((r) => setTimeout(r, 200));
    expect(await count()).toBe(1);
    // 0 keeps them forever: nothing runs.
    const never = new DeadLetterRetention([flaky], { days: 0, everyMs: 10 });
    never.start();
    await new Promise((r) => setTimeout(r, 100));
    await never.stop();
    expect(await count()).toBe(1);
  });

  it('adds its columns to a dead-letter table of an earlier release, keeping its rows', async () => {
    const handler = new RecordingHandler(`ledger_old_${++n}`);
    await db.pool.query(`create schema ${handler.name}`);
    await db.pool.query(
      `create table ${handler.name}.dead_letters (
         id bigserial primary key, ce_id text, reason text not null, detail text not null,
         key text, value text, headers jsonb not null, dead_lettered_at timestamptz not null default now())`,
    );
    const old = codec.encode(events[7]);
    const headers = Object.fromEntries(Object.entries(old.headers).map(([k, v]) => [k, String(v)]));
    await db.pool.query(
      `insert into ${handler.name}.dead_letters (ce_id, reason, detail, key, value, headers) values ($1, 'rejected:TEST.REJECTED', 'old', $2, $3, $4)`,
      [events[7].eventId, old.key, old.value.toString('utf8'), JSON.stringify(headers)],
    );
    const sink = new TableDeadLetterSink(db.pool, handler.name);
    const consumer = new EffectivelyOnceConsumer(db.pool, codec, handler, sink);
    await consumer.migrate();
    await sink.ensureSchema();
    await sink.ensureSchema();
    const ledger = new DeadLetterLedger(db.pool, consumer);
    const [row] = (await ledger.list({ limit: 10 })).deadLetters;
    expect(row).toMatchObject({ ceId: events[7].eventId, encoding: 'utf8', redriveOutcome: null });
    expect(await ledger.redrive([row.id])).toEqual([{ id: row.id, outcome: 'applied' }]);
  });
}

describe('DeadLetterLedger (PGlite)', () => {
  ledgerSuite(async () => {
    const db = await createTestEmbeddedDatabase();
    return { pool: db.pool, close: () => db.close() };
  });
});

describeWithPostgres('DeadLetterLedger (PostgreSQL)', () => {
  ledgerSuite(async () => {
    const db = await createTestPostgresDatabase('dead_letter_ledger', { empty: true });
    return { pool: db.pool, close: () => db.drop() };
  });
});
