import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray } from 'class-validator';
import { MAX_MEMBERS_PER_COMMAND } from '@dropline/domain';
import { CUSTOMER_ID, EachMatches } from '@dropline/platform';

/** POST /drops/:dropId/members body (and the shape of a members list). */
export class DropMembersDto {
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: MAX_MEMBERS_PER_COMMAND,
    example: ['c-123', 'c-456'],
    description: `1-${MAX_MEMBERS_PER_COMMAND} customer ids (1-128 letters, digits, or . _ : @ -); ids already members are skipped`,
  })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MEMBERS_PER_COMMAND)
  @EachMatches(CUSTOMER_ID, 'a customerId: 1-128 letters, digits, or . _ : @ -')
  @IsArray()
  customerIds!: string[];
}
