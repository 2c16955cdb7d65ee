import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Matches, Max, Min } from 'class-validator';

export class ReturnRefundDto {
  @ApiProperty({ example: 2500, description: 'Integer minor units, at least 1' })
  @Min(1)
  @Max(1_000_000_000)
  @IsInt()
  amount!: number;
  @ApiProperty({ example: 're_123' })
  @Matches(/^[A-Za-z0-9_.:-]{1,128}$/, { message: 'providerRef must be 1-128 letters, digits, or _ . : -' })
  providerRef!: string;
}
