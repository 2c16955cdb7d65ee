import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { DomainError } from '@dropline/domain';
import type { EventStore, RecordedEvent } from '@dropline/event-store';
import { DropIdParams } from '../../http/params';
import { ProblemException } from '../../http/problem';
import { EVENT_STORE } from '../../infrastructure/tokens';

/** Every stream that belongs to a drop. The drop stream holds its pre-orders, runs and returns. */
export const DROP_STREAM_CATEGORIES = ['drop', 'visits', 'demand', 'restock'] as const;

export class HistoryQuery {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional() @Matches(/^[A-Za-z0-9_-]{1,400}$/, { message: 'after is not a history cursor' })
  after?: string;
  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  limit?: number;
}

type Cursor = Record<string, number>;

function decodeCursor(raw: string | undefined): Cursor {
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && Object.entries(parsed).every(([k, v]) => (DROP_STREAM_CATEGORIES as readonly string[]).includes(k) && Number.isInteger(v) && (v as number) >= -1)) {
      return parsed as Cursor;
    }
  } catch {
    /* fall through */
  }
  throw new ProblemException(400, 'VALIDATION.FAILED', 'after is not a history cursor', { field: 'after' });
}

@ApiTags('drops')
@Controller('drops/:dropId/history')
export class DropHistoryController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get()
  @ApiOperation({ summary: "A drop's full history for auditors: every event of the drop and its side streams, in global-log order, with the envelope" })
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
    if (!query.after && pages[0].events.length === 0) throw new DomainError('DROP.NOT_FOUND', `Drop ${params.dropId} does not exist`, { dropId: params.dropId });
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
