import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { DropDefinition, ISO_4217_CURRENCIES, SALES_CHANNELS, SalesChannel } from '@dropline/domain';
import { IsText, ProblemException } from '@dropline/platform';

const ISO = { strict: true, strictSeparator: true } as const;

export class VariantDto {
  @ApiProperty({ example: 'HH-M-NAVY' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { message: 'sku must be 1-64 letters, digits, - or _' })
  sku!: string;
  @ApiProperty({ example: 'M' })
  @IsText(32)
  size!: string;
  @ApiProperty({ example: 'navy' })
  @IsText(64)
  colour!: string;
  @ApiProperty({ example: 50, description: 'Edition cap in units' })
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  editionCap!: number;
}

export class PriceTierDto {
  @ApiPropertyOptional({ example: 10, description: 'This tier applies while fewer than this many units are sold; omit on the last tier' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  untilUnitsSold?: number;
  @ApiProperty({ example: 2500, description: 'Integer minor units, at least 1' })
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  unitPrice!: number;
}

export class BasketTierDto {
  @ApiProperty({ example: 3 })
  @IsInt()
  @Min(2)
  @Max(10_000)
  minQuantity!: number;
  @ApiProperty({ example: 10 })
  @IsInt()
  @Min(0)
  @Max(100)
  percentOff!: number;
}

export class WindowDto {
  @ApiProperty({ example: '2026-12-01T10:00:00Z' })
  @IsISO8601(ISO)
  opensAt!: string;
  @ApiProperty({ example: '2026-12-08T10:00:00Z' })
  @IsISO8601(ISO)
  closesAt!: string;
}

export class EarlyAccessDto {
  @ApiProperty({ example: '2026-11-30T10:00:00Z' })
  @IsISO8601(ISO)
  opensAt!: string;
  @ApiProperty({ enum: ['repeat-customers'] })
  @IsIn(['repeat-customers'])
  audience!: 'repeat-customers';
}

export class ProductionDto {
  @ApiProperty({ example: 'mf-bristol-1' })
  @IsText(64)
  microfactoryId!: string;
  @ApiProperty({ example: 14 })
  @IsInt()
  @Min(0)
  @Max(365)
  leadTimeDays!: number;
}

export class PickupLocationDto {
  @ApiProperty({ example: 'popup-harbourside' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
  locationId!: string;
  @ApiProperty({ example: 10 })
  @IsInt()
  @Min(0)
  @Max(100)
  discountPercent!: number;
}

/** POST /drops and PUT /drops/:dropId body: the drop definition. */
export class DropDefinitionDto {
  @ApiProperty({ example: 'Harbour Hoodie, run 1' })
  @IsText(200)
  name!: string;
  @ApiPropertyOptional({ example: 'Bristol' })
  @IsOptional()
  @IsText(100)
  city?: string;
  @ApiProperty({ example: 'GBP', description: 'ISO 4217 code, uppercase' })
  @IsString()
  @IsIn([...ISO_4217_CURRENCIES], { message: 'currency must be an ISO-4217 currency code such as GBP' })
  currency!: string;
  @ApiProperty({ enum: SALES_CHANNELS, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(SALES_CHANNELS, { each: true })
  channels!: SalesChannel[];
  @ApiProperty({ type: [VariantDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => VariantDto)
  variants!: VariantDto[];
  @ApiProperty({ type: [PriceTierDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => PriceTierDto)
  priceTiers!: PriceTierDto[];
  @ApiPropertyOptional({ type: [BasketTierDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => BasketTierDto)
  basketTiers?: BasketTierDto[];
  @ApiProperty({ type: WindowDto })
  @IsObject()
  @ValidateNested()
  @Type(() => WindowDto)
  window!: WindowDto;
  @ApiPropertyOptional({ type: EarlyAccessDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => EarlyAccessDto)
  earlyAccess?: EarlyAccessDto;
  @ApiProperty({ example: 4 })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  perCustomerLimit!: number;
  @ApiProperty({ example: 20, description: 'Tipping point: units needed for the run to happen (at least 1)' })
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  minimumOrderQuantity!: number;
  @ApiProperty({ type: ProductionDto })
  @IsObject()
  @ValidateNested()
  @Type(() => ProductionDto)
  production!: ProductionDto;
  @ApiPropertyOptional({ type: [PickupLocationDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => PickupLocationDto)
  pickupLocations?: PickupLocationDto[];
  @ApiProperty({ example: 14 })
  @IsInt()
  @Min(0)
  @Max(365)
  returnWindowDays!: number;
}

/** Plain JSON of the validated body: drops class instances and absent optionals so equal definitions compare equal. */
export function toDefinition(dto: DropDefinitionDto): DropDefinition {
  return JSON.parse(JSON.stringify(dto)) as DropDefinition;
}

/**
 * The one rule of the definition that needs the clock: the decider refuses a window that has
 * already closed (it would open and close at once), so validation refuses it first, naming the field.
 */
export function refusePastWindow(dto: DropDefinitionDto, now: Date): void {
  if (Date.parse(dto.window.closesAt) <= now.getTime()) {
    throw new ProblemException(400, 'VALIDATION.FAILED', `window.closesAt has already passed (now ${now.toISOString()})`, {
      field: 'window.closesAt',
    });
  }
}
