import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsObject, IsOptional, Max, Min } from 'class-validator';

export class RequestRunDto {
  @ApiProperty({ example: { 'HH-M-NAVY': 20 } })
  @IsObject()
  unitsBySku!: Record<string, number>;
  @ApiPropertyOptional({ description: 'Run number; defaults to the next one. Run 1 is requested by the tipping point.' })
  @IsOptional()
  @Min(2)
  @Max(10_000)
  @IsInt()
  runNumber?: number;
}
