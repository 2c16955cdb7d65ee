import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { RETURN_CONDITIONS, ReturnCondition } from '@dropline/domain';

export class ReceiveReturnDto {
  @ApiProperty({ enum: RETURN_CONDITIONS })
  @IsIn(RETURN_CONDITIONS)
  condition!: ReturnCondition;
}
