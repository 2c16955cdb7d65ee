import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import {
  demandStreamName,
  DropDefinition,
  dropIdFromStreamName,
  dropStreamName,
  restockStreamName,
  visitsStreamName,
} from '@dropline/domain';
import type { EventStore, RecordedEvent } from '@dropline/event-store';
import { toCampaignLine } from './campaign-line';

/** Which drops an export or a live replay takes. */
export interface CampaignSelection {
  dropIds?: string[];
  /** Drops whose definition names this city (case-insensitive). */
  city?: string;
  /** Drops whose window opens at or after `from` and before `to` (ISO-8601). */
  from?: string;
  to?: string;
}

/** Every stream of a drop: the aggregate and its side streams. */
export function campaignStreamsOf(dropId: string): string[] {
  return [dropStreamName(dropId), demandStreamName(dropId), visitsStreamName(dropId), restockStreamName(dropId)];
}

const PAGE = 5000;

/** A drop named by id that the store does not hold: an analyst's typo must not export an empty campaign. */
export class UnknownDropsError extends Error {
  constructor(readonly dropIds: string[]) {
    super(`no drop ${dropIds.join(', ')} in the store (no ${dropIds.map((id) => dropStreamName(id)).join(', ')} stream)`);
    this.name = 'UnknownDropsError';
  }
}

/**
 * The drop ids a selection names, sorted. Explicit ids must name drops the store holds (an
 * UnknownDropsError names the others); a city or date range reads every DropScheduled/DropRevised
 * of the log (the latest definition of a drop wins).
 */
export async function selectDrops(store: EventStore, selection: CampaignSelection): Promise<string[]> {
  const ids = new Set(selection.dropIds ?? []);
  const unknown: string[] = [];
  for (const id of ids) if ((await store.readStream(dropStreamName(id), { maxCount: 1 })).length === 0) unknown.push(id);
  if (unknown.length > 0) throw new UnknownDropsError(unknown);
  if (selection.city !== undefined || selection.from !== undefined || selection.to !== undefined) {
    const definitions = new Map<string, DropDefinition>();
    let position: string | undefined;
    for (;;) {
      const page = await store.readAll({
        fromPosition: position,
        maxCount: PAGE,
        filter: { streamPrefixes: ['drop-'], eventTypes: ['DropScheduled', 'DropRevised'] },
      });
      for (const e of page.events) {
        const dropId = dropIdFromStreamName(e.streamName);
        const definition = (e.data as { definition?: DropDefinition }).definition;
        if (dropId && definition) definitions.set(dropId, definition);
      }
      position = page.position;
      if (page.isEnd) break;
    }
    const from = selection.from === undefined ? -Infinity : Date.parse(selection.from);
    const to = selection.to === undefined ? Infinity : Date.parse(selection.to);
    for (const [dropId, definition] of definitions) {
      if (selection.city !== undefined && (definition.city ?? '').toLowerCase() !== selection.city.toLowerCase()) continue;
      const opens = Date.parse(definition.window.opensAt);
      if (opens < from || opens >= to) continue;
      ids.add(dropId);
    }
  }
  return [...ids].sort();
}

/**
 * Reads every event of the drops' streams in global-log order and hands each to `onEvent`.
 * The store filters by stream prefix; names are then matched exactly, because the prefix
 * `drop-ab` also matches `drop-abc`.
 */
export async function readCampaignFromStore(
  store: EventStore,
  dropIds: readonly string[],
  onEvent: (event: RecordedEvent) => void | Promise<void>,
): Promise<number> {
  if (dropIds.length === 0) return 0;
  const wanted = new Set(dropIds.flatMap(campaignStreamsOf));
  let position: string | undefined;
  let count = 0;
  for (;;) {
    const page = await store.readAll({ fromPosition: position, maxCount: PAGE, filter: { streamPrefixes: [...wanted] } });
    for (const e of page.events) {
      if (!wanted.has(e.streamName)) continue;
      count++;
      await onEvent(e);
    }
    position = page.position;
    if (page.isEnd) break;
  }
  return count;
}

/** Writes the drops' events to `path` as NDJSON, one event with its envelope per line. */
export async function exportCampaign(
  store: EventStore,
  dropIds: readonly string[],
  path: string,
  onProgress?: (events: number) => void,
): Promise<number> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  const finished = once(out, 'finish');
  let written = 0;
  try {
    await readCampaignFromStore(store, dropIds, async (event) => {
      if (!out.write(`${toCampaignLine(event)}\n`)) await once(out, 'drain');
      if (++written % 10_000 === 0) onProgress?.(written);
    });
  } finally {
    out.end();
    await finished;
  }
  onProgress?.(written);
  return written;
}
