import { ApiProperty } from '@nestjs/swagger';
import { IsText } from '@dropline/platform';

export class RefundRequestDto {
  @ApiProperty({ example: 'not covered by the production run' })
  @IsText(500)
  reason!: string;
}
