import type { EventStore } from '@dropline/event-store';
import type { Pool } from 'pg';
// (that file belongs to the event-store slice). Switch to the alias once it is.
import {
  EventIdsTakenError,
  eventsAfterStored,
  importEventsInOneTransaction,
  ImportedEvent,
  StreamHistoryDivergedError,
  StreamsAlreadyExistError,
} from '@dropline/event-store';
import { readCampaignFile, ReadCampaignOptions } from './campaign-file';

/** Where an import goes: the PostgreSQL/PGlite tables (one transaction) or any EventStore (stream by stream). */
export type ImportTarget = { kind: 'postgres'; pool: Pool } | { kind: 'store'; store: EventStore };

export interface ImportCampaignOptions extends ReadCampaignOptions {
  /** Load into streams that already hold events (see importEventsInOneTransaction). Default: refuse. */
  allowExistingStreams?: boolean;
}

export interface ImportCampaignResult {
  streams: number;
  imported: number;
  skippedDuplicates: number;
}

export { EventIdsTakenError, StreamHistoryDivergedError, StreamsAlreadyExistError };

/**
 * Validates the whole campaign file first (a bad line throws CampaignFileError and nothing is
 * written), then loads it. On PostgreSQL and PGlite the load is one transaction. Any other store
 * (EventStoreDB) has no multi-stream transaction: streams are appended one by one at exact
 * expected revisions, after checking that none of them exists (or, allowed to load into existing
 * streams, skipping the events they already hold).
 */
export async function importCampaignFile(
  path: string,
  target: ImportTarget,
  options: ImportCampaignOptions = {},
): Promise<ImportCampaignResult> {
  return importCampaignEvents(await readCampaignEvents(path, options), target, options);
}

/** The whole campaign file, validated (a bad line throws CampaignFileError), as events to import. */
export async function readCampaignEvents(path: string, options: ReadCampaignOptions = {}): Promise<ImportedEvent[]> {
  const events: ImportedEvent[] = [];
  await readCampaignFile(
    path,
    (e) =>
      events.push({
        streamName: e.streamName,
        eventId: e.eventId,
        type: e.type,
        schemaVersion: e.schemaVersion,
        data: e.data,
        metadata: e.metadata,
        recordedAt: e.recordedAt,
      }),
    { onProgress: options.onProgress },
  );
  return events;
}

/** Loads events read by readCampaignEvents into `target` (see importCampaignFile). */
export async function importCampaignEvents(
  events: ImportedEvent[],
  target: ImportTarget,
  options: Pick<ImportCampaignOptions, 'allowExistingStreams'> = {},
): Promise<ImportCampaignResult> {
  if (target.kind === 'postgres')
    return importEventsInOneTransaction(target.pool, events, { allowExistingStreams: options.allowExistingStreams });
  return importStreamByStream(target.store, events, options.allowExistingStreams ?? false);
}

/**
 * Idempotent by state, not by event ids (EventStoreDB does not reliably refuse a repeated id):
 * with `allowExisting`, an existing stream must hold the file's first events of it, in order (an
 * interrupted import run again completes it: eventsAfterStored), else nothing is appended; every
 * chunk is appended at the stream's exact revision.
 */
async function importStreamByStream(store: EventStore, events: ImportedEvent[], allowExisting: boolean): Promise<ImportCampaignResult> {
  const byStream = new Map<string, ImportedEvent[]>();
  for (const e of events) {
    const list = byStream.get(e.streamName) ?? [];
    list.push(e);
    byStream.set(e.streamName, list);
  }
  const names = [...byStream.keys()].sort();
  const existing: string[] = [];
  for (const name of names) if ((await store.readStream(name, { direction: 'backwards', maxCount: 1 })).length > 0) existing.push(name);
  if (existing.length > 0 && !allowExisting) throw new StreamsAlreadyExistError(existing);
  let imported = 0;
  let skippedDuplicates = 0;
  // Every existing stream is checked before anything is appended: a divergent one refuses the import whole.
  const plans = new Map<string, { list: ImportedEvent[]; revision: number }>();
  for (const name of names) {
    const stored = existing.includes(name) ? await store.readStream(name) : [];
    const list = eventsAfterStored(
      name,
      byStream.get(name)!,
      stored.map((e) => e.eventId),
    );
    skippedDuplicates += byStream.get(name)!.length - list.length;
    plans.set(name, { list, revision: stored.at(-1)?.revision ?? -1 });
  }
  for (const [name, plan] of plans) {
    const list = plan.list;
    let revision = plan.revision;
    // recordedAt is the target store's own here: the port has no way to set it.
    for (let i = 0; i < list.length; i += 1000) {
      const chunk = list
        .slice(i, i + 1000)
        .map(({ eventId, type, schemaVersion, data, metadata }) => ({ eventId, type, schemaVersion, data, metadata }));
      revision = (await store.appendToStream(name, chunk, revision)).nextExpectedRevision;
      imported += chunk.length;
    }
  }
  return { streams: names.length, imported, skippedDuplicates };
}
