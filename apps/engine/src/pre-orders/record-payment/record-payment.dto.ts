import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ISO_4217_CURRENCIES } from '@dropline/domain';

const PAYMENT_FACTS = ['authorized', 'captured', 'failed', 'refunded'] as const;

export class PaymentFactDto {
  @ApiProperty({ enum: PAYMENT_FACTS })
  @IsIn(PAYMENT_FACTS)
  status!: (typeof PAYMENT_FACTS)[number];
  @ApiProperty({ example: 2500, description: 'Integer minor units, at least 1' })
  @Min(1)
  @Max(1_000_000_000)
  @IsInt()
  amount!: number;
  @ApiProperty({ example: 'pi_3Nx…', description: "The provider's id of this fact; a repeat is ignored" })
  @Matches(/^[A-Za-z0-9_.:-]{1,128}$/, { message: 'providerRef must be 1-128 letters, digits, or _ . : -' })
  providerRef!: string;
  @ApiPropertyOptional({ example: 'GBP', description: "ISO 4217 code of the amount; when given it must be the drop's currency" })
  @IsOptional()
  @IsIn([...ISO_4217_CURRENCIES], { message: 'currency must be an ISO-4217 currency code such as GBP' })
  currency?: string;
}
