import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { IsText } from '@dropline/platform';

export class DispatchDto {
  @ApiProperty({ example: 'royal-mail' })
  @IsText(64)
  carrier!: string;
  @ApiProperty({ example: 'RM123456789GB' })
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'trackingNumber must be 1-64 letters, digits, - or _' })
  trackingNumber!: string;
}
