import { ApiProperty } from '@nestjs/swagger';

/** Check name (eventStore, readModels, lag:<reader>, kafka, …) → up or down, and for staff its details. */
const CHECKS = {
  type: 'object' as const,
  additionalProperties: {
    type: 'object' as const,
    required: ['status'],
    properties: { status: { type: 'string' as const, enum: ['up', 'down'] } },
    additionalProperties: true,
  },
};

/** /health/live and /health/ready (terminus' shape). */
export class HealthDto {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] }) status!: string;
  @ApiProperty({ ...CHECKS, description: 'The checks that are up' }) info!: Record<string, { status: string }>;
  @ApiProperty({ ...CHECKS, description: 'The checks that are down' }) error!: Record<string, { status: string }>;
  @ApiProperty({ ...CHECKS, description: 'Every check' }) details!: Record<string, { status: string }>;
}
