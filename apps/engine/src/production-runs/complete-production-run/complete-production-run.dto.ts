import { ApiProperty } from '@nestjs/swagger';
import { IsObject } from 'class-validator';

export class CompleteRunDto {
  @ApiProperty({ example: { 'HH-M-NAVY': 20 } })
  @IsObject()
  producedBySku!: Record<string, number>;
  @ApiProperty({ example: { 'HH-M-NAVY': 1 } })
  @IsObject()
  rejectedBySku!: Record<string, number>;
}
