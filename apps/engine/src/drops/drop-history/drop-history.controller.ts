import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { DomainError } from '@dropline/domain';
import type { EventStore, RecordedEvent } from '@dropline/event-store';
import { DropIdParams, EVENT_STORE, ProblemException, QueryInt } from '@dropline/platform';
import { DropHistoryDto } from './event-view.dto';

/** Every stream that belongs to a drop. The drop stream holds its pre-orders, runs and returns. */
export const DROP_STREAM_CATEGORIES = ['drop', 'visits', 'demand', 'restock'] as const;

export class HistoryQuery {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,400}$/, { message: 'after is not a history cursor' })
  after?: string;
  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @Max(1000)
  @IsInt()
  limit?: number;
  @ApiPropertyOptional({ description: 'Only events of this type (e.g. RefundRequested)' })
  @IsOptional()
  @Matches(/^[A-Za-z][A-Za-z0-9]{0,63}$/, { message: 'type is not an event type' })
  type?: string;
  @ApiPropertyOptional({ description: 'Only events of this actor (a token subject, anonymous or system:<component>)' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:@|-]{1,128}$/, { message: 'actor is not an actor' })
  actor?: string;
  @ApiPropertyOptional({ description: 'Only events of this correlation id' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'correlationId is not a correlation id' })
  correlationId?: string;
}

/** Reads of one request when filters are set: a filtered page scans at most this many rounds of `limit` events… */
export const HISTORY_FILTER_ROUNDS = 10;
/** …and at most this many events in all (so 2 rounds at the largest `limit`, where 10 read 40,000 events). */
export const HISTORY_FILTER_SCAN = 2_000;

/** The envelope view of a stored event, as history and the /events routes answer it. */
export function eventView(event: RecordedEvent) {
  return {
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    streamName: event.streamName,
    revision: event.revision,
    position: event.position,
    recordedAt: event.recordedAt,
    ...event.metadata,
    data: event.data,
  };
}

type Cursor = Record<string, number>;

/**
 * The cursor is `{ <category>: <last revision read> }` as base64url JSON. Only what `next`
 * can hold is accepted: a plain object of known categories and revisions that are safe
 * non-negative integers (1e20, -1, 1.5 or "3" would reach the store as a revision).
 */
export function decodeCursor(raw: string | undefined): Cursor {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const entries = Object.entries(parsed);
    if (
      entries.every(([k, v]) => (DROP_STREAM_CATEGORIES as readonly string[]).includes(k) && Number.isSafeInteger(v) && (v as number) >= 0)
    ) {
      return Object.fromEntries(entries) as Cursor;
    }
  }
  throw new ProblemException(400, 'VALIDATION.FAILED', 'after is not a history cursor', { field: 'after' });
}

@ApiTags('drops')
@Controller('drops/:dropId/history')
export class DropHistoryController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get()
  @ApiOkResponse({ type: DropHistoryDto })
  @ApiOperation({
    summary:
      "A drop's full history for auditors: every event of the drop and its side streams, in global-log order, with the envelope. " +
      'Filters (type, actor, correlationId) scan at most 10 rounds of `limit` events, and 2,000 events, per request: a filtered page may hold fewer ' +
      'than `limit` events, or none, and still have a `next` to follow.',
  })
  async history(@Param() params: DropIdParams, @Query() query: HistoryQuery) {
    const limit = query.limit ?? 100;
    let cursor = decodeCursor(query.after);
    const filtered = query.type !== undefined || query.actor !== undefined || query.correlationId !== undefined;
    const matches = (e: RecordedEvent) =>
      (query.type === undefined || e.type === query.type) &&
      (query.actor === undefined || e.metadata.actor === query.actor) &&
      (query.correlationId === undefined || e.metadata.correlationId === query.correlationId);
    const taken: RecordedEvent[] = [];
    let more = false;
    const rounds = filtered ? Math.min(HISTORY_FILTER_ROUNDS, Math.ceil(HISTORY_FILTER_SCAN / limit)) : 1;
    for (let round = 0; round < rounds; round++) {
      const merged = await this.round(params.dropId, cursor, limit);
      // Of the merged pages only the first `limit` are surely the next events of the drop in log order.
      let scanned = 0;
      for (; scanned < merged.length && scanned < limit && taken.length < limit; scanned++) {
        const { category, event } = merged[scanned];
        cursor = { ...cursor, [category]: event.revision };
        if (matches(event)) taken.push(event);
      }
      more = scanned < merged.length;
      if (!more || taken.length >= limit) break;
    }
    return {
      dropId: params.dropId,
      events: taken.map(eventView),
      next: more ? Buffer.from(JSON.stringify(cursor)).toString('base64url') : null,
    };
  }

  /** The next `limit + 1` events of each of the drop's streams after `cursor`, merged in log order. */
  private async round(dropId: string, cursor: Cursor, limit: number): Promise<Array<{ category: string; event: RecordedEvent }>> {
    // Each stream is read from its own revision and the pages are merged by global position, so a
    // round costs `limit` events per stream however long the drop is.
    const pages = await Promise.all(
      DROP_STREAM_CATEGORIES.map(async (category) => {
        const from = (cursor[category] ?? -1) + 1;
        const events = await this.store.readStream(`${category}-${dropId}`, { fromRevision: from, maxCount: limit + 1 });
        return { category, events };
      }),
    );
    // A cursor past the drop stream's start proves the drop exists; otherwise an empty drop stream means none.
    if (cursor.drop === undefined && pages[0].events.length === 0)
      throw new DomainError('DROP.NOT_FOUND', `Drop ${dropId} does not exist`, { dropId });
    return pages
      .flatMap(({ category, events }) => events.map((event) => ({ category, event })))
      .sort((a, b) => this.store.comparePositions(a.event.position, b.event.position));
  }
}
