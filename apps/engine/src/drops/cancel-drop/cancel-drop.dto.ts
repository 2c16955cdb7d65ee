import { ApiProperty } from '@nestjs/swagger';
import { IsText } from '@dropline/platform';

export class CancelDropDto {
  @ApiProperty({ example: 'microfactory unavailable' })
  @IsText(500)
  reason!: string;
}
