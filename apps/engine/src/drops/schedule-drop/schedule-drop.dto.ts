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
import {
  DropDefinition,
  ISO_4217_CURRENCIES,
  MAX_ACCESS_PHASES,
  PHASE_AUDIENCES,
  PhaseAudience,
  SALES_CHANNELS,
  SalesChannel,
  SELL_OUT_BEHAVIOURS,
  SellOutBehaviour,
} from '@dropline/domain';
import { EachIsObject, IsCountMap, IsText, ProblemException } from '@dropline/platform';

const ISO = { strict: true, strictSeparator: true } as const;
const SKU = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** The domain's rule for phase names (validateDropDefinition): lower-case, so they read well in URLs. */
export const PHASE_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

export class VariantDto {
  @ApiProperty({ example: 'HH-M-NAVY' })
  @IsString()
  @Matches(SKU, { message: 'sku must be 1-64 letters, digits, - or _' })
  sku!: string;
  @ApiProperty({ example: 'M' })
  @IsText(32)
  size!: string;
  @ApiProperty({ example: 'navy' })
  @IsText(64)
  colour!: string;
  @ApiProperty({ example: 50, description: 'Edition cap in units' })
  @Min(1)
  @Max(10_000_000)
  @IsInt()
  editionCap!: number;
}

export class PriceTierDto {
  @ApiPropertyOptional({ example: 10, description: 'This tier applies while fewer than this many units are sold; omit on the last tier' })
  @IsOptional()
  @Min(1)
  @Max(100_000_000)
  @IsInt()
  untilUnitsSold?: number;
  @ApiProperty({ example: 2500, description: 'Integer minor units, at least 1' })
  @Min(1)
  @Max(100_000_000)
  @IsInt()
  unitPrice!: number;
}

export class BasketTierDto {
  @ApiProperty({ example: 3 })
  @Min(2)
  @Max(10_000)
  @IsInt()
  minQuantity!: number;
  @ApiProperty({ example: 10 })
  @Min(0)
  @Max(100)
  @IsInt()
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

/**
 * One access phase before the public window. Cross-field rules (order of opensAt, before
 * window.opensAt, allocations within the caps, a city for a city phase, `everyone` only last)
 * are validateDropDefinition's: 422 DROP.INVALID_DEFINITION naming the field.
 */
export class AccessPhaseDto {
  @ApiProperty({ example: 'members', pattern: PHASE_NAME.source, description: 'Unique in the drop; 1-32 lower-case letters, digits or -' })
  @IsString()
  @Matches(PHASE_NAME, { message: 'name must be 1-32 lower-case letters, digits or -, starting with a letter or digit' })
  name!: string;
  @ApiProperty({ example: '2026-11-29T10:00:00Z', description: 'ISO-8601 instant; after the phase before it, before window.opensAt' })
  @IsISO8601(ISO)
  opensAt!: string;
  @ApiProperty({
    enum: PHASE_AUDIENCES,
    description:
      'members: customer ids ops granted (POST /drops/:dropId/members); repeat-customers: bought in another drop; ' +
      "city: a token city claim equal to the drop's city, or a pickup at one of its locations; everyone: the public window (last phase only)",
  })
  @IsIn(PHASE_AUDIENCES)
  audience!: PhaseAudience;
  @ApiPropertyOptional({
    example: { 'HH-M-NAVY': 10 },
    type: 'object',
    additionalProperties: { type: 'integer', minimum: 0 },
    description: 'Units per SKU reserved for this phase (counted against the cap); what it leaves rolls into the next phase',
  })
  @IsOptional()
  @IsCountMap({ key: SKU, keyRule: 'a SKU (1-64 letters, digits, - or _)', min: 0, max: 10_000_000, minEntries: 1, maxEntries: 200 })
  allocation?: Record<string, number>;
}

export class ProductionDto {
  @ApiProperty({ example: 'mf-bristol-1' })
  @IsText(64)
  microfactoryId!: string;
  @ApiProperty({ example: 14 })
  @Min(0)
  @Max(365)
  @IsInt()
  leadTimeDays!: number;
}

export class PickupLocationDto {
  @ApiProperty({ example: 'popup-harbourside' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
  locationId!: string;
  @ApiProperty({ example: 10 })
  @Min(0)
  @Max(100)
  @IsInt()
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
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(SALES_CHANNELS, { each: true })
  @IsArray()
  channels!: SalesChannel[];
  @ApiProperty({ type: [VariantDto] })
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => VariantDto)
  @IsArray()
  variants!: VariantDto[];
  @ApiProperty({ type: [PriceTierDto] })
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => PriceTierDto)
  @IsArray()
  priceTiers!: PriceTierDto[];
  @ApiPropertyOptional({ type: [BasketTierDto] })
  @IsOptional()
  @ArrayMaxSize(20)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => BasketTierDto)
  @IsArray()
  basketTiers?: BasketTierDto[];
  @ApiProperty({ type: WindowDto })
  @ValidateNested()
  @Type(() => WindowDto)
  @IsObject()
  window!: WindowDto;
  @ApiPropertyOptional({ type: EarlyAccessDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => EarlyAccessDto)
  @IsObject()
  earlyAccess?: EarlyAccessDto;
  @ApiPropertyOptional({
    type: [AccessPhaseDto],
    maxItems: MAX_ACCESS_PHASES,
    description:
      'Access phases in order, before the public window (which may be listed last, audience everyone). ' +
      'Not with earlyAccess, the shorthand for one repeat-customers phase.',
  })
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ACCESS_PHASES)
  @EachIsObject()
  @ValidateNested({ each: true })
  @Type(() => AccessPhaseDto)
  @IsArray()
  phases?: AccessPhaseDto[];
  @ApiPropertyOptional({
    enum: SELL_OUT_BEHAVIOURS,
    default: 'stay-open',
    description: 'stay-open: the window stays open until closesAt; close: it closes at sell-out and the tipping point is decided at once',
  })
  @IsOptional()
  @IsIn(SELL_OUT_BEHAVIOURS)
  onSellOut?: SellOutBehaviour;
  @ApiProperty({ example: 4 })
  @Min(1)
  @Max(1_000_000)
  @IsInt()
  perCustomerLimit!: number;
  @ApiProperty({ example: 20, description: 'Tipping point: units needed for the run to happen (at least 1)' })
  @Min(1)
  @Max(100_000_000)
  @IsInt()
  minimumOrderQuantity!: number;
  @ApiProperty({ type: ProductionDto })
  @ValidateNested()
  @Type(() => ProductionDto)
  @IsObject()
  production!: ProductionDto;
  @ApiPropertyOptional({ type: [PickupLocationDto] })
  @IsOptional()
  @ArrayMaxSize(100)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => PickupLocationDto)
  @IsArray()
  pickupLocations?: PickupLocationDto[];
  @ApiProperty({ example: 14 })
  @Min(0)
  @Max(365)
  @IsInt()
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
