import { CUSTOMER_ID, IsPlainText, QueryInt } from '@dropline/platform';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Length, Matches, Max, Min } from 'class-validator';

export const DROP_STATUSES = [
  'scheduled',
  'early-access',
  'open',
  'closed',
  'tipped',
  'in-production',
  'fulfilling',
  'completed',
  'cancelled',
] as const;

/** Offset pagination for the read-model lists: `limit` rows from `offset`; the answer says where the next page starts. */
export class PageQuery {
  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 500 })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @Max(500)
  @IsInt()
  limit?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0, maximum: 100000 })
  @IsOptional()
  @QueryInt()
  @Min(0)
  @Max(100_000)
  @IsInt()
  offset?: number;
}

export class ListDropsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DROP_STATUSES })
  @IsOptional()
  @IsIn(DROP_STATUSES as unknown as string[], { message: `status must be one of ${DROP_STATUSES.join(', ')}` })
  status?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Length(1, 100, { message: 'city must be 1-100 characters' })
  @IsPlainText('city')
  city?: string;
}

export class CustomerIdParams {
  @ApiProperty()
  @Matches(CUSTOMER_ID, { message: 'customerId must be 1-128 letters, digits, or . _ : @ -, starting with a letter or digit' })
  customerId!: string;
}

export class ProjectionNameParams {
  @ApiProperty()
  @Matches(/^[a-z][a-z0-9-]{0,63}$/, { message: 'name must be a projection name' })
  name!: string;
}
