import { ApiProperty } from '@nestjs/swagger';

// The audit routes' answers as the OpenAPI document shows them: an event with its envelope
// (eventView), as GET /drops/:dropId/history and the /events routes answer it. Each event type's
// `data` is in docs/asyncapi.yaml. apps/engine/test/api-docs.e2e-spec.ts checks real answers
// against these schemas with no property left undocumented.

export class EventViewDto {
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ example: 'PreOrderPlaced' }) type!: string;
  @ApiProperty({ description: 'Version of the event’s data schema (docs/asyncapi.yaml)' }) schemaVersion!: number;
  @ApiProperty({ example: 'drop-8c0e…', description: 'drop-, visits-, demand- or restock-<dropId>' }) streamName!: string;
  @ApiProperty({ description: 'Position in its stream, from 0' }) revision!: number;
  @ApiProperty({ description: 'Position in the global log (opaque, ordered)' }) position!: string;
  @ApiProperty({ format: 'date-time', description: 'When the store recorded it' }) recordedAt!: string;
  @ApiProperty({ description: 'The business flow it belongs to (x-correlation-id, or the first request’s id)' }) correlationId!: string;
  @ApiProperty({ nullable: true, type: String, description: 'What directly caused it: a request id or an event id' })
  causationId!: string | null;
  @ApiProperty({ description: 'Who caused it: a token subject, anonymous or system:<component>' }) actor!: string;
  @ApiProperty({ format: 'date-time', description: 'When it happened in the domain' }) occurredAt!: string;
  @ApiProperty({ description: 'W3C trace context of the request that caused it (empty when none)' }) traceparent!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The event’s data, by type in docs/asyncapi.yaml' })
  data!: Record<string, unknown>;
}

export class DropHistoryDto {
  @ApiProperty() dropId!: string;
  @ApiProperty({ type: [EventViewDto], description: 'In global-log order' }) events!: EventViewDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Cursor of the next page (`after`); null on the last' }) next!: string | null;
}

export class EventWithCauseDto {
  @ApiProperty({ type: EventViewDto }) event!: EventViewDto;
  @ApiProperty({ enum: ['event', 'request', 'nothing'], description: 'What its causationId names' }) causedBy!: string;
  @ApiProperty({ type: EventViewDto, nullable: true, description: 'The event that caused it; null when a request or nothing did' })
  cause!: EventViewDto | null;
}

export class EffectViewDto extends EventViewDto {
  @ApiProperty({ description: 'Steps from the event asked about (1: a direct effect)' }) depth!: number;
}

export class EffectsDto {
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty() depth!: number;
  @ApiProperty({ type: [EffectViewDto] }) effects!: EffectViewDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Cursor of the next page of direct effects (depth 1); null otherwise' })
  next!: string | null;
  @ApiProperty({ description: 'The answer was cut at `limit` (transitive answers)' }) truncated!: boolean;
}
