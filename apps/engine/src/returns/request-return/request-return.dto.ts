import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { RETURN_REASONS, ReturnReason } from '@dropline/domain';

export class RequestReturnDto {
  @ApiProperty({ enum: RETURN_REASONS })
  @IsIn(RETURN_REASONS)
  reason!: ReturnReason;
}
