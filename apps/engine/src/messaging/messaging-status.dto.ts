import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BadEventDto, ProcessorStatusDto } from '@dropline/read-models';

// GET /messaging/status as the OpenAPI document shows it (MessagingRuntime.status builds it), in
// every fan-out mode: apps/engine/test/api-docs.e2e-spec.ts checks the in-process and the Kafka
// answers against it with no property left undocumented.

export class ReaderLagDto {
  @ApiProperty({ description: 'Seconds behind: the head’s recorded time minus that of the first event not handled yet' })
  lagSeconds!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Events it would handle after its checkpoint; null where the store cannot count',
  })
  lagEvents!: number | null;
}

export class RelayStatusDto {
  @ApiProperty({ enum: ['stopped', 'standby', 'publishing', 'caught-up', 'retrying', 'stalled'] }) state!: string;
  @ApiPropertyOptional({ description: 'The log position published up to (absent before the first publish)' }) checkpoint?: string;
  @ApiProperty({ description: 'Messages the broker acknowledged since this relay started' }) published!: number;
  @ApiPropertyOptional({ description: 'Events after the checkpoint, where the store counts them' }) lag?: number;
  @ApiPropertyOptional({ description: 'Seconds behind; absent until first measured' }) lagSeconds?: number;
  @ApiProperty() consecutiveFailures!: number;
  @ApiProperty({ description: 'Times it was started again after a failure, since this process started' }) restarts!: number;
  @ApiPropertyOptional({ description: 'While it fails' }) lastError?: string;
  @ApiPropertyOptional({ description: 'The lease fence its checkpoint saves carry; absent while standing by' }) fence?: number;
  @ApiPropertyOptional({ type: BadEventDto, description: 'The bad event it stands at (ON_BAD_EVENT=stop)' }) stalledAt?: BadEventDto;
  @ApiProperty({ description: 'Bad events left unpublished since start (ON_BAD_EVENT=skip)' }) badEventsSkipped!: number;
  @ApiProperty({ type: [BadEventDto], description: 'The most recent of them, last last' }) badEvents!: BadEventDto[];
}

export class LeaseStatusDto {
  @ApiProperty({ example: 'projection:drops' }) name!: string;
  @ApiProperty({ enum: ['database', 'event-store', 'process'] }) store!: string;
  @ApiProperty({ description: 'Whether this process holds it now' }) held!: boolean;
  @ApiPropertyOptional({ description: 'The fencing token of this process’s holding; absent when not held' }) fence?: number;
}

export class MessagingProcessorDto extends ProcessorStatusDto {
  @ApiProperty({
    type: ReaderLagDto,
    nullable: true,
    description: 'An in-process feed’s lag; null where it does not run here, or for a Kafka group member',
  })
  lag!: ReaderLagDto | null;
}

export class MessagingStatusDto {
  @ApiProperty({ enum: ['kafka', 'in-process', 'off'], description: '`kafka` with KAFKA_BROKERS, else `in-process`' }) mode!: string;
  @ApiPropertyOptional({ type: RelayStatusDto, description: 'With Kafka and RUN_RELAY' }) relay?: RelayStatusDto;
  @ApiProperty({ type: [String], description: 'The consumers running in this process', example: ['fulfillment', 'analytics'] })
  consumers!: string[];
  @ApiPropertyOptional({
    type: [String],
    description: 'With Kafka: the consumer group ids those consumers join (KAFKA_GROUP_PREFIX before each name)',
    example: ['fulfillment', 'analytics'],
  })
  groups?: string[];
  @ApiProperty({ enum: ['database', 'event-store', 'process'], description: 'Where this process’s leases live (LEASE_STORE resolved)' })
  leaseStore!: string;
  @ApiProperty({ type: [LeaseStatusDto], description: 'Every leased worker of this process, not only messaging' })
  leases!: LeaseStatusDto[];
  @ApiProperty({
    type: [MessagingProcessorDto],
    description: 'In-process feeds (`consumer:<name>`) and Kafka group members (`kafka-consumer:<name>`)',
  })
  processors!: MessagingProcessorDto[];
}
