import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { DomainError } from '@dropline/domain';
import type { EventStore, RecordedEvent } from '@dropline/event-store';
import { DropIdParams, EVENT_STORE, ProblemException, QueryInt } from '@dropline/platform';

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
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
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
  @ApiOperation({
    summary: "A drop's full history for auditors: every event of the drop and its side streams, in global-log order, with the envelope",
  })
  async history(@Param() params: DropIdParams, @Query() query: HistoryQuery) {
    const limit = query.limit ?? 100;
    const cursor = decodeCursor(query.after);
    // Each stream is read from its own revision and the pages are merged by global
    // position, so a page costs `limit` events per stream however long the drop is.
    const pages = await Promise.all(
      DROP_STREAM_CATEGORIES.map(async (category) => {
        const from = (cursor[category] ?? -1) + 1;
        const events = await this.store.readStream(`${category}-${params.dropId}`, { fromRevision: from, maxCount: limit + 1 });
        return { category, events };
      }),
    );
    // A cursor past the drop stream's start proves the drop exists; otherwise an empty drop stream means none.
    if (cursor.drop === undefined && pages[0].events.length === 0)
      throw new DomainError('DROP.NOT_FOUND', `Drop ${params.dropId} does not exist`, { dropId: params.dropId });
    const merged: Array<{ category: string; event: RecordedEvent }> = pages
      .flatMap(({ category, events }) => events.map((event) => ({ category, event })))
      .sort((a, b) => this.store.comparePositions(a.event.position, b.event.position));
    const taken = merged.slice(0, limit);
    const next: Cursor = { ...cursor };
    for (const { category, event } of taken) next[category] = event.revision;
    return {
      dropId: params.dropId,
      events: taken.map(({ event }) => ({
        eventId: event.eventId,
        type: event.type,
        schemaVersion: event.schemaVersion,
        streamName: event.streamName,
        revision: event.revision,
        position: event.position,
        recordedAt: event.recordedAt,
        ...event.metadata,
        data: event.data,
      })),
      next: merged.length > limit ? Buffer.from(JSON.stringify(next)).toString('base64url') : null,
    };
  }
}
