import { CUSTOMER_ID } from '@dropline/platform';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { SALES_CHANNELS, SalesChannel } from '@dropline/domain';

export class FulfillmentDto {
  @ApiProperty({ enum: ['ship', 'pickup'] })
  @IsIn(['ship', 'pickup'])
  method!: 'ship' | 'pickup';
  @ApiPropertyOptional({ example: 'popup-harbourside', description: 'Required for pickup, absent for ship' })
  @ValidateIf((o: FulfillmentDto) => o.method === 'pickup' || o.locationId !== undefined)
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { message: 'locationId must name a pickup location' })
  locationId?: string;
}

/** POST /drops/:dropId/pre-orders body. */
export class PlacePreOrderDto {
  @ApiProperty({ example: 'c-123' })
  @Matches(CUSTOMER_ID, { message: 'customerId must be 1-128 letters, digits, or . _ : @ -' })
  customerId!: string;
  @ApiProperty({ example: 'HH-M-NAVY' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { message: 'sku must be 1-64 letters, digits, - or _' })
  sku!: string;
  @ApiProperty({ example: 1 })
  @Min(1)
  @Max(1000)
  @IsInt()
  quantity!: number;
  @ApiProperty({ enum: SALES_CHANNELS })
  @IsIn(SALES_CHANNELS)
  channel!: SalesChannel;
  @ApiProperty({ type: FulfillmentDto })
  @ValidateNested()
  @Type(() => FulfillmentDto)
  @IsObject()
  fulfillment!: FulfillmentDto;
  @ApiPropertyOptional({ example: 'FRIEND-42' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'referralCode must be 1-64 letters, digits, - or _' })
  referralCode?: string;
}
