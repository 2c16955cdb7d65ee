import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsOptional, Max, Min } from 'class-validator';
import { DomainError, dropDecider, DropEvent, DropState, dropStreamName, toDropView } from '@dropline/domain';
import { evolveStored } from '@dropline/event-sourcing';
import type { EventStore, RecordedEvent } from '@dropline/event-store';
import {
  audienceOf,
  Caller,
  DropIdParams,
  EVENT_STORE,
  type Principal,
  ProblemException,
  QueryInt,
  requireStaff,
} from '@dropline/platform';
import { StorefrontDropDto, StorefrontReader } from '@dropline/read-models';
import { dropEventSchema, DropWriter } from '../drop-writer';
import { DropStateDto } from '../drop-views.dto';

export class GetDropQuery {
  @ApiPropertyOptional({ description: 'State as recorded at this instant (ISO-8601); ops or analyst token only' })
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;
  @ApiPropertyOptional({ description: 'State after this stream revision, inclusive (0-based); ops or analyst token only' })
  @IsOptional()
  @QueryInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsInt()
  revision?: number;
}

/**
 * GET /drops/:dropId for two audiences (docs/security.md, "Two audiences"). Anyone without a
 * staff token gets the storefront view from the drops read model: it never reads the event log,
 * so a crowd polling a hot drop's page cannot stall its writer. Staff (ops, analyst) get the
 * decider's view as before, and only they may travel in time (each such read folds the stream).
 */
@ApiTags('drops')
@ApiExtraModels(StorefrontDropDto, DropStateDto)
@Controller('drops/:dropId')
export class GetDropController {
  constructor(
    private readonly drops: DropWriter,
    private readonly storefront: StorefrontReader,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'A drop: the storefront view (anonymous; announced drops only), or for staff its current state or as it was at a time or revision',
  })
  @ApiOkResponse({
    description: 'Anonymous (and customer, till, service) callers get StorefrontDropDto; an ops or analyst token gets the full drop view',
    schema: { oneOf: [{ $ref: getSchemaPath(StorefrontDropDto) }, { $ref: getSchemaPath(DropStateDto) }] },
  })
  async get(@Param() params: DropIdParams, @Query() query: GetDropQuery, @Caller() caller: Principal | undefined) {
    const timeTravel = query.asOf !== undefined || query.revision !== undefined;
    if (timeTravel) requireStaff(caller, '?asOf= and ?revision=');
    if (audienceOf(caller) === 'storefront') return this.storefront.drop(params.dropId);
    if (query.asOf !== undefined && query.revision !== undefined) {
      throw new ProblemException(400, 'VALIDATION.FAILED', 'asOf and revision cannot be combined', { field: 'revision' });
    }
    if (!timeTravel) {
      const { state, revision } = await this.drops.load(params.dropId);
      return this.view(params.dropId, state, revision, false);
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
        state = evolveStored<DropState, DropEvent>((s, event) => dropDecider.evolve(s, event), state, e, dropEventSchema);
        revision = e.revision;
      }
      if (events.length < page) break;
    }
    return this.view(params.dropId, state, revision, true);
  }

  private view(dropId: string, state: Parameters<typeof toDropView>[0], revision: number, timeTravel: boolean) {
    if (revision < 0)
      throw new DomainError('DROP.NOT_FOUND', `Drop ${dropId} does not exist${timeTravel ? ' (at that point)' : ''}`, { dropId });
    return { ...toDropView(state), revision };
  }
}
