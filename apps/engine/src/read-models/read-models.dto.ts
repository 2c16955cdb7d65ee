import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Length, Matches } from 'class-validator';

export const DROP_STATUSES = ['scheduled', 'early-access', 'open', 'closed', 'tipped', 'in-production', 'fulfilling', 'completed', 'cancelled'] as const;

export class ListDropsQuery {
  @ApiPropertyOptional({ enum: DROP_STATUSES })
  @IsOptional() @IsIn(DROP_STATUSES as unknown as string[], { message: `status must be one of ${DROP_STATUSES.join(', ')}` })
  status?: string;

  @ApiPropertyOptional()
  @IsOptional() @Length(1, 100, { message: 'city must be 1-100 characters' })
  city?: string;
}

export class CustomerIdParams {
  @ApiProperty() @Matches(/^[A-Za-z0-9._:@-]{1,128}$/, { message: 'customerId must be 1-128 letters, digits, or . _ : @ -' })
  customerId!: string;
}

export class ProjectionNameParams {
  @ApiProperty() @Matches(/^[a-z][a-z0-9-]{0,63}$/, { message: 'name must be a projection name' })
  name!: string;
}
