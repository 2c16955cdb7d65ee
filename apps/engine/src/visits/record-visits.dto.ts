import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsISO8601, Matches, ValidateNested } from 'class-validator';
import { SALES_CHANNELS, SalesChannel } from '@dropline/domain';
import { CUSTOMER_ID, EachIsObject } from '@dropline/platform';

export class VisitDto {
  @ApiProperty({
    example: 'c-123',
    description: 'Visitor id; the customer id once known, so time-to-purchase can start at the first visit',
  })
  @Matches(CUSTOMER_ID, { message: 'visitorId must be 1-128 letters, digits, or . _ : @ -' })
  visitorId!: string;
  @ApiProperty({ enum: SALES_CHANNELS })
  @IsIn(SALES_CHANNELS)
  channel!: SalesChannel;
  @ApiProperty({ example: '2026-12-01T10:03:00Z' })
  @IsISO8601({ strict: true }, { message: 'at must be an ISO-8601 instant' })
  at!: string;
}

/** POST /drops/:dropId/visits body: a batch of storefront visits. */
export class RecordVisitsDto {
  @ApiProperty({ type: [VisitDto] })
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @EachIsObject()
  @ValidateNested({ each: true })
  @Type(() => VisitDto)
  @IsArray()
  visits!: VisitDto[];
}
