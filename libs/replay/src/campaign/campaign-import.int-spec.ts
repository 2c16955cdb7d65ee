import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import {
  EventIdsTakenError,
  importEventsInOneTransaction,
  PostgresEventStore,
  StreamHistoryDivergedError,
  type EventStore,
} from '@dropline/event-store';
import { createTestEmbeddedDatabase } from '../../../../test/support/pglite';
import { createTestPostgresDatabase, describeWithPostgres } from '../../../../test/support/postgres';
import { handMadeCampaign } from '../testing/hand-made-campaign';
import { readCampaignFile } from './campaign-file';
import { exportCampaign, readCampaignFromStore, selectDrops } from './campaign-export';
import { importCampaignFile, readCampaignEvents, StreamsAlreadyExistError } from './campaign-import';
import { CampaignFileError } from './campaign-line';
import { CampaignSeriesBuilder } from './campaign-series';

interface Database {
  pool: Pool;
  close(): Promise<void>;
}

const silent = { logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } } as never;

/** Appends the hand-made campaign of `dropId` event by event, as the engine would have. */
async function seed(store: EventStore, dropId: string, city: string): Promise<void> {
  for (const e of handMadeCampaign(dropId)) {
    const data = e.type === 'DropScheduled' ? { ...e.data, definition: { ...(e.data.definition as object), city } } : e.data;
    // Fresh ids per drop: the fixture numbers them from 1 for every drop id.
    const eventId = `${dropId === 'hand-1' ? '1' : '2'}${e.eventId.slice(1)}`;
    await store.appendToStream(
      e.streamName,
      [{ eventId, type: e.type, schemaVersion: e.schemaVersion, data, metadata: e.metadata }],
      e.revision === 0 ? 'no_stream' : e.revision - 1,
    );
  }
}

async function countEvents(pool: Pool): Promise<number> {
  return Number((await pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n);
}

/**
 * Waits until the global log shows every stored event. On a PostgreSQL server an append shows in
 * the log only below the cluster-wide safe horizon, which another test's open transaction holds
 * back for a while (docs/architecture.md, "The gap-safe global log").
 */
async function untilLogShowsAll(store: EventStore, pool: Pool): Promise<void> {
  const stored = await countEvents(pool);
  const deadline = Date.now() + 30_000;
  for (;;) {
    let seen = 0;
    let position: string | undefined;
    for (;;) {
      const page = await store.readAll({ fromPosition: position, maxCount: 1000 });
      seen += page.events.length;
      position = page.position;
      if (page.isEnd) break;
    }
    if (seen >= stored) return;
    if (Date.now() > deadline) throw new Error(`the global log shows ${seen} of ${stored} events after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function roundTrip(name: string, open: (role: 'source' | 'target' | 'store') => Promise<Database>): void {
  describe(`campaign export → import round trip on ${name}`, () => {
    let dir: string;
    let source: Database;
    let target: Database;
    let file: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'dropline-roundtrip-'));
      file = join(dir, 'campaign.ndjson');
      source = await open('source');
      const store = new PostgresEventStore(source.pool, silent);
      // `hand-10` shares the prefix of `hand-1`: the export must still take only hand-1's streams.
      await seed(store, 'hand-1', 'Bristol');
      await seed(store, 'hand-10', 'Leeds');
      await untilLogShowsAll(store, source.pool);
    }, 120_000);
    afterAll(async () => {
      await source?.close();
      await target?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('exports exactly the selected drop, every event with its envelope, in log order', async () => {
      const store = new PostgresEventStore(source.pool, silent);
      expect(await selectDrops(store, { city: 'bristol' })).toEqual(['hand-1']);
      expect(await selectDrops(store, { from: '2027-03-01T00:00:00Z', to: '2027-03-02T00:00:00Z' })).toEqual(['hand-1', 'hand-10']);
      // A named drop must exist: a typo is an error naming it, not an empty campaign.
      expect(await selectDrops(store, { dropIds: ['hand-10', 'hand-1'] })).toEqual(['hand-1', 'hand-10']);
      await expect(selectDrops(store, { dropIds: ['hand-1', 'hand-2', 'nope'] })).rejects.toMatchObject({
        name: 'UnknownDropsError',
        dropIds: ['hand-2', 'nope'],
      });
      const count = await exportCampaign(store, ['hand-1'], file);
      const fixture = handMadeCampaign('hand-1');
      expect(count).toBe(fixture.length);
      const lines = readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.streamName, l.revision, l.type])).toEqual(fixture.map((e) => [e.streamName, e.revision, e.type]));
      expect(lines[0].metadata).toEqual(fixture[0].metadata);
      expect(Object.keys(lines[0])).toEqual([
        'streamName',
        'revision',
        'position',
        'eventId',
        'type',
        'schemaVersion',
        'recordedAt',
        'metadata',
        'data',
      ]);
    });

    it('imports into a fresh store in one go, keeping ids, envelopes and recordedAt', async () => {
      target = await open('target');
      const result = await importCampaignFile(file, { kind: 'postgres', pool: target.pool });
      expect(result).toEqual({ streams: 2, imported: handMadeCampaign().length, skippedDuplicates: 0 });
      const exported = readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      const imported = new PostgresEventStore(target.pool, silent);
      const stored = [...(await imported.readStream('drop-hand-1')), ...(await imported.readStream('demand-hand-1'))];
      const strip = <T extends { eventId: string }>(e: T) => ({ ...e, position: undefined });
      const byId = (a: { eventId: string }, b: { eventId: string }) => a.eventId.localeCompare(b.eventId);
      expect(stored.map(strip).sort(byId)).toEqual(exported.map(strip).sort(byId));
    });

    it('replays the same from the store as from the file', async () => {
      const fromFile = new CampaignSeriesBuilder();
      await readCampaignFile(file, (e, n) => fromFile.add(e, n));
      const fromStore = new CampaignSeriesBuilder();
      let n = 0;
      const imported = new PostgresEventStore(target.pool, silent);
      await untilLogShowsAll(imported, target.pool);
      await readCampaignFromStore(imported, ['hand-1'], (e) => fromStore.add(e, ++n));
      expect(fromStore.build()).toEqual(fromFile.build());
    });

    it('refuses a store that already holds the streams, unless told', async () => {
      const before = await countEvents(target.pool);
      await expect(importCampaignFile(file, { kind: 'postgres', pool: target.pool })).rejects.toBeInstanceOf(StreamsAlreadyExistError);
      expect(await countEvents(target.pool)).toBe(before);
      const again = await importCampaignFile(file, { kind: 'postgres', pool: target.pool }, { allowExistingStreams: true });
      expect(again).toMatchObject({ imported: 0, skippedDuplicates: handMadeCampaign().length });
      expect(await countEvents(target.pool)).toBe(before);
    });

    it("refuses to merge a stream whose stored history is not the start of the file's, on both paths, importing nothing", async () => {
      // Another history of the same drop: the same start, then another last drop event (two
      // copies of a store that each went on selling would merge into a drop sold past its cap).
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      const streams = lines.map((l) => (JSON.parse(l) as { streamName: string }).streamName);
      const last = streams.lastIndexOf('drop-hand-1');
      const other = lines.map((l, i) => (i === last ? JSON.stringify({ ...JSON.parse(l), eventId: randomUUID() }) : l));
      const diverged = join(dir, 'diverged.ndjson');
      writeFileSync(diverged, `${other.join('\n')}\n`);
      const before = await countEvents(target.pool);
      const options = { allowExistingStreams: true };
      await expect(importCampaignFile(diverged, { kind: 'postgres', pool: target.pool }, options)).rejects.toThrow(
        StreamHistoryDivergedError,
      );
      const store = new PostgresEventStore(target.pool, silent);
      await expect(importCampaignFile(diverged, { kind: 'store', store }, options)).rejects.toMatchObject({
        code: 'STORE.STREAM_DIVERGED',
        streamName: 'drop-hand-1',
        message: expect.stringMatching(/drop-hand-1 already holds event .* at revision \d+ where the file has /),
      });
      expect(await countEvents(target.pool)).toBe(before);
    });

    it('refuses a file whose event ids the target holds in other streams, naming them, importing nothing', async () => {
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      // A new drop whose events are fine except the last one, which reuses an id already stored.
      const renamed = lines.map((l, i) =>
        (i === lines.length - 1 ? l : l.replace(/"eventId":"1/, '"eventId":"7')).replace(/hand-1\b/g, 'hand-7'),
      );
      const clash = join(dir, 'clash.ndjson');
      writeFileSync(clash, `${renamed.join('\n')}\n`);
      const last = JSON.parse(lines[lines.length - 1]) as { eventId: string; streamName: string };
      const before = await countEvents(target.pool);
      const error = await importCampaignFile(clash, { kind: 'postgres', pool: target.pool }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EventIdsTakenError);
      expect(error).toMatchObject({
        code: 'STORE.EVENT_IDS_TAKEN',
        taken: [
          { eventId: last.eventId.toLowerCase(), storedIn: last.streamName, fileStream: last.streamName.replace('hand-1', 'hand-7') },
        ],
      });
      expect((error as Error).message).toContain(`${last.eventId.toLowerCase()} (stored in ${last.streamName}`);
      expect(await countEvents(target.pool)).toBe(before);
    });

    it('is one transaction: a failure on the last event leaves no event of the file behind', async () => {
      const events = await readCampaignEvents(file);
      // A new drop whose events are fine except the last one, which the database refuses (its
      // recordedAt is no time); one row per statement, so the earlier rows were written first.
      const renamed = events.map((e, i) => ({
        ...e,
        streamName: e.streamName.replace('hand-1', 'hand-8'),
        eventId: randomUUID(),
        recordedAt: i === events.length - 1 ? 'not a time' : e.recordedAt,
      }));
      const before = await countEvents(target.pool);
      await expect(importEventsInOneTransaction(target.pool, renamed, { chunkSize: 1 })).rejects.toMatchObject({ code: '22007' });
      expect(await countEvents(target.pool)).toBe(before);
    });

    it('stream by stream (the EventStoreDB path): an interrupted import run again completes it, nothing twice', async () => {
      const db = await open('store');
      try {
        const store = new PostgresEventStore(db.pool, silent);
        const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
        const cut = Math.floor(lines.length / 2);
        const partial = join(dir, 'partial.ndjson');
        writeFileSync(partial, `${lines.slice(0, cut).join('\n')}\n`);
        expect(await importCampaignFile(partial, { kind: 'store', store })).toMatchObject({ imported: cut, skippedDuplicates: 0 });
        await expect(importCampaignFile(file, { kind: 'store', store })).rejects.toBeInstanceOf(StreamsAlreadyExistError);
        const options = { allowExistingStreams: true };
        expect(await importCampaignFile(file, { kind: 'store', store }, options)).toEqual({
          streams: 2,
          imported: lines.length - cut,
          skippedDuplicates: cut,
        });
        expect(await importCampaignFile(file, { kind: 'store', store }, options)).toMatchObject({
          imported: 0,
          skippedDuplicates: lines.length,
        });
        const exported = lines.map((l) => JSON.parse(l) as { streamName: string; eventId: string; revision: number });
        for (const stream of ['drop-hand-1', 'demand-hand-1']) {
          expect((await store.readStream(stream)).map((e) => [e.eventId, e.revision])).toEqual(
            exported.filter((e) => e.streamName === stream).map((e) => [e.eventId, e.revision]),
          );
        }
      } finally {
        await db.close();
      }
    });

    it('imports nothing from a file with a malformed line, and names the line', async () => {
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      // Valid lines of a drop the target does not have, then a broken line 9.
      const renamed = lines.map((l) => l.replace(/hand-1\b/g, 'hand-9').replace(/"eventId":"1/, '"eventId":"9'));
      renamed[8] = renamed[8].replace('"type":', '"type"');
      const broken = join(dir, 'broken.ndjson');
      writeFileSync(broken, `${renamed.join('\n')}\n`);
      const before = await countEvents(target.pool);
      const error = await importCampaignFile(broken, { kind: 'postgres', pool: target.pool }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CampaignFileError);
      expect((error as CampaignFileError).lineNumber).toBe(9);
      expect(await countEvents(target.pool)).toBe(before);
    });
  });
}

roundTrip('PGlite', async () => createTestEmbeddedDatabase());

describeWithPostgres('PostgreSQL', () => {
  roundTrip('PostgreSQL', async (role) => {
    const db = await createTestPostgresDatabase(`replay_${role}`);
    return { pool: db.pool, close: () => db.drop() };
  });
});
