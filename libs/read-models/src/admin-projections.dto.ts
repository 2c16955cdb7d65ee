import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// /admin/projections answers as the OpenAPI document shows them (ProjectorService.lag builds
// them). apps/engine/test/api-docs.e2e-spec.ts checks real answers against them with no property
// left undocumented.

export class RebuildProgressDto {
  @ApiProperty({ enum: ['requested', 'running', 'done', 'failed'] }) status!: string;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty() eventsDone!: number;
  @ApiProperty({ nullable: true, type: Number }) eventsTotal!: number | null;
  @ApiProperty({ nullable: true, type: Number }) eventsPerSecond!: number | null;
  @ApiProperty({ nullable: true, type: Number }) etaSeconds!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
}

export class BadEventDto {
  @ApiProperty() position!: string;
  @ApiProperty() streamName!: string;
  @ApiProperty() revision!: number;
  @ApiProperty() eventId!: string;
  @ApiProperty() type!: string;
  @ApiProperty() schemaVersion!: number;
  @ApiProperty({ enum: ['unknown-type', 'newer-schema', 'undecodable'] }) problem!: string;
  @ApiProperty() detail!: string;
}

export class ProcessorStallDto {
  @ApiProperty({ description: 'Position of the bad event' }) position!: string;
  @ApiProperty() reason!: string;
}

/** What the supervisor reports of one processor. */
export class ProcessorStatusDto {
  @ApiProperty({ example: 'projection:drops' }) name!: string;
  @ApiProperty({ enum: ['processor', 'task'] }) kind!: string;
  @ApiProperty({ enum: ['standby', 'running', 'caught-up', 'retrying', 'stalled', 'stopped'] }) state!: string;
  @ApiProperty({ description: 'Times it was started again after a failure, since this process started' }) restarts!: number;
  @ApiProperty({ description: 'Failures since its last good page' }) consecutiveFailures!: number;
  @ApiPropertyOptional() lastError?: string;
  @ApiPropertyOptional({ format: 'date-time' }) lastErrorAt?: string;
  @ApiPropertyOptional({ description: 'Where it stands in the log' }) checkpoint?: string;
  @ApiPropertyOptional({ description: 'The fencing token it holds its lease with' }) fence?: number;
  @ApiPropertyOptional({ type: ProcessorStallDto }) stalledAt?: ProcessorStallDto;
}

export class RebuildSwapWaitingDto {
  @ApiProperty({ format: 'date-time', description: 'When its first try gave way' }) since!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({
    description: "Who held a live table at the last try: pid, application, state and how long its transaction was open ('' when unknown)",
    example: 'pid 4242 (psql, idle in transaction, transaction open 95 s)',
  })
  heldBy!: string;
}

export class ProjectionStatusDto {
  @ApiProperty({ example: 'drops' }) projection!: string;
  @ApiProperty({ nullable: true, type: String }) checkpoint!: string | null;
  @ApiProperty({ description: 'Events this runner applied since it started' }) eventsProcessed!: number;
  @ApiProperty() lagSeconds!: number;
  @ApiProperty({ nullable: true, type: Number }) lagEvents!: number | null;
  @ApiProperty({ type: RebuildProgressDto, nullable: true, description: 'The last rebuild asked for; null when none was' })
  rebuild!: RebuildProgressDto | null;
  @ApiProperty({ type: BadEventDto, nullable: true, description: 'The bad event the live copy is stalled at (ON_BAD_EVENT=stop)' })
  stalledAt!: BadEventDto | null;
  @ApiProperty({ description: 'Bad events skipped since this runner started (ON_BAD_EVENT=skip)' }) badEventsSkipped!: number;
  @ApiProperty({ type: [BadEventDto] }) badEvents!: BadEventDto[];
  @ApiProperty({
    type: RebuildSwapWaitingDto,
    nullable: true,
    description:
      'The running rebuild, caught up, whose swap keeps giving way to a transaction that holds one of the live tables (reported by the lease holder); null when it is not',
  })
  rebuildSwapWaiting!: RebuildSwapWaitingDto | null;
  @ApiProperty({ type: ProcessorStatusDto, nullable: true, description: 'Its supervisor’s report; null where none runs it here' })
  processor!: ProcessorStatusDto | null;
}

export class ProjectionListDto {
  @ApiProperty({ type: [ProjectionStatusDto] }) projections!: ProjectionStatusDto[];
}
