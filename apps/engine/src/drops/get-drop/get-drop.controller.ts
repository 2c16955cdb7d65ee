import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsOptional, Max, Min } from 'class-validator';
import { DomainError, dropDecider, DropEvent, dropStreamName, toDropView } from '@dropline/domain';
import { toDomainEvent } from '@dropline/event-sourcing';
import type { EventStore, RecordedEvent } from '@dropline/event-store';
import { DropIdParams, EVENT_STORE, ProblemException, QueryInt } from '@dropline/platform';
import { dropEventSchema, DropWriter } from '../drop-writer';

export class GetDropQuery {
  @ApiPropertyOptional({ description: 'State as recorded at this instant (ISO-8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;
  @ApiPropertyOptional({ description: 'State after this stream revision, inclusive (0-based)' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  revision?: number;
}

@ApiTags('drops')
@Controller('drops/:dropId')
export class GetDropController {
  constructor(
    private readonly drops: DropWriter,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Get()
  @ApiOperation({ summary: "A drop's current state, or as it was at a time or revision" })
  async get(@Param() params: DropIdParams, @Query() query: GetDropQuery) {
    if (query.asOf !== undefined && query.revision !== undefined) {
      throw new ProblemException(400, 'VALIDATION.FAILED', 'asOf and revision cannot be combined', { field: 'revision' });
    }
    if (query.asOf === undefined && query.revision === undefined) {
      const { state, revision } = await this.drops.load(params.dropId);
      return this.view(params.dropId, state, revision);
    }
    // Time travel folds the stream afresh: the cached state is the present.
    const asOf = query.asOf === undefined ? undefined : Date.parse(query.asOf);
    let state = dropDecider.initialState();
    let revision = -1;
    const page = 5000;
    outer: for (;;) {
      const events: RecordedEvent[] = await this.store.readStream(dropStreamName(params.dropId), {
        fromRevision: revision + 1,
        maxCount: page,
      });
      for (const e of events) {
        if (query.revision !== undefined && e.revision > query.revision) break outer;
        if (asOf !== undefined && Date.parse(e.recordedAt) > asOf) break outer;
        state = dropDecider.evolve(state, toDomainEvent<DropEvent>(e, dropEventSchema));
        revision = e.revision;
      }
      if (events.length < page) break;
    }
    return this.view(params.dropId, state, revision);
  }

  private view(dropId: string, state: Parameters<typeof toDropView>[0], revision: number) {
    if (revision < 0)
      throw new DomainError('DROP.NOT_FOUND', `Drop ${dropId} does not exist${revision < 0 ? ' (at that point)' : ''}`, { dropId });
    return { ...toDropView(state), revision };
  }
}
