import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import type { EventStore, RecordedEvent } from '@dropline/event-store';
import { EVENT_STORE, ProblemException, QueryInt } from '@dropline/platform';
import { eventView } from '../drops/drop-history/drop-history.controller';
import { EffectsDto, EventWithCauseDto } from '../drops/drop-history/event-view.dto';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Deepest `depth` of GET /events/:eventId/effects. */
export const MAX_EFFECTS_DEPTH = 5;

export class EventIdParams {
  @ApiProperty({ format: 'uuid' })
  @Matches(UUID, { message: 'eventId is not an event id' })
  eventId!: string;
}

export class EffectsQuery {
  @ApiPropertyOptional({ default: 1, maximum: MAX_EFFECTS_DEPTH, description: '1: direct effects, paged; 2-5: transitive, bounded' })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @Max(MAX_EFFECTS_DEPTH)
  @IsInt()
  depth?: number;
  @ApiPropertyOptional({ default: 100, maximum: 1000, description: 'Direct effects per page (depth 1); total cap when transitive' })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @Max(1000)
  @IsInt()
  limit?: number;
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page (depth 1 only)' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,400}$/, { message: 'after is not an effects cursor' })
  after?: string;
}

/** The store's lookups, or a 501 problem saying this store cannot answer them. */
function lookups(store: EventStore) {
  const { readEvent, readCausedBy } = store;
  if (!readEvent || !readCausedBy)
    throw new ProblemException(
      501,
      'EVENT.LOOKUP_UNSUPPORTED',
      'This event store has no index by event id or causation id (EventStoreDB: see docs/event-store.md, "Causation"); follow causation through GET /drops/:dropId/history?correlationId=',
    );
  return { readEvent: readEvent.bind(store), readCausedBy: readCausedBy.bind(store) };
}

/**
 * Causation you can follow: an event with the event that caused it, and what it caused. Every
 * answer costs a bounded number of indexed reads (PostgreSQL/PGlite: the event_id key and
 * events_causation_idx).
 */
@ApiTags('events')
@Controller('events/:eventId')
export class EventCausationController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get()
  @ApiOkResponse({ type: EventWithCauseDto })
  @ApiOperation({
    summary:
      'One event with its envelope and its cause: the event its causationId names, or, when that is a request id, `cause: null` with `causedBy: "request"`',
  })
  async event(@Param() params: EventIdParams) {
    const { readEvent } = lookups(this.store);
    const event = await this.found(readEvent, params.eventId);
    const causationId = event.metadata.causationId;
    const cause = causationId && UUID.test(causationId) ? await readEvent(causationId) : undefined;
    return {
      event: eventView(event),
      causedBy: cause ? 'event' : causationId ? 'request' : 'nothing',
      cause: cause ? eventView(cause) : null,
    };
  }

  @Get('effects')
  @ApiOkResponse({ type: EffectsDto })
  @ApiOperation({
    summary:
      'What an event caused: the events naming it as causationId, in log order. depth=1 (default) is paged with `after`; ' +
      `depth 2-${MAX_EFFECTS_DEPTH} follows effects of effects, at most \`limit\` events in all (\`truncated\` says when cut)`,
  })
  async effects(@Param() params: EventIdParams, @Query() query: EffectsQuery) {
    const { readEvent, readCausedBy } = lookups(this.store);
    await this.found(readEvent, params.eventId);
    const depth = query.depth ?? 1;
    const limit = query.limit ?? 100;
    if (depth === 1) {
      const after = query.after === undefined ? undefined : Buffer.from(query.after, 'base64url').toString('utf8');
      let page: RecordedEvent[];
      try {
        page = await readCausedBy(params.eventId, { after, maxCount: limit + 1 });
      } catch (e) {
        if (after !== undefined && e instanceof Error && /position/i.test(e.message))
          throw new ProblemException(400, 'VALIDATION.FAILED', 'after is not an effects cursor', { field: 'after' });
        throw e;
      }
      const taken = page.slice(0, limit);
      return {
        eventId: params.eventId,
        depth,
        effects: taken.map((e) => ({ ...eventView(e), depth: 1 })),
        next: page.length > limit ? Buffer.from(taken[taken.length - 1].position).toString('base64url') : null,
        truncated: false,
      };
    }
    if (query.after !== undefined)
      throw new ProblemException(400, 'VALIDATION.FAILED', 'after pages direct effects only (depth=1)', { field: 'after' });
    // Breadth first, level by level; every read is capped by what the answer can still take.
    const effects: Array<ReturnType<typeof eventView> & { depth: number }> = [];
    const seen = new Set<string>([params.eventId]);
    let frontier = [params.eventId];
    let truncated = false;
    for (let level = 1; level <= depth && frontier.length > 0 && !truncated; level++) {
      const next: string[] = [];
      for (const causeId of frontier) {
        const room = limit - effects.length;
        if (room <= 0) {
          truncated = true;
          break;
        }
        const caused = await readCausedBy(causeId, { maxCount: room + 1 });
        if (caused.length > room) truncated = true;
        for (const e of caused.slice(0, room)) {
          if (seen.has(e.eventId)) continue;
          seen.add(e.eventId);
          effects.push({ ...eventView(e), depth: level });
          next.push(e.eventId);
        }
      }
      frontier = next;
    }
    return { eventId: params.eventId, depth, effects, next: null, truncated };
  }

  private async found(readEvent: (id: string) => Promise<RecordedEvent | undefined>, eventId: string): Promise<RecordedEvent> {
    const event = await readEvent(eventId);
    if (!event) throw new ProblemException(404, 'EVENT.NOT_FOUND', `No event ${eventId}`, { eventId });
    return event;
  }
}
