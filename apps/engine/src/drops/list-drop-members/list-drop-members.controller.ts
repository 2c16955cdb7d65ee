import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { DomainError } from '@dropline/domain';
import { CUSTOMER_ID, DropIdParams, QueryInt } from '@dropline/platform';
import { DropWriter } from '../drop-writer';
import { DropMembersPageDto } from '../drop-views.dto';

/** The longest page of GET /drops/:dropId/members. */
export const MAX_MEMBERS_PAGE = 1000;

export class ListDropMembersQuery {
  @ApiPropertyOptional({ default: 100, maximum: MAX_MEMBERS_PAGE })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @Max(MAX_MEMBERS_PAGE)
  @IsInt()
  limit?: number;
  @ApiPropertyOptional({ description: 'The `next` of the previous page: members after this customer id' })
  @IsOptional()
  @Matches(CUSTOMER_ID, { message: 'after must be a customerId (the next of the previous page)' })
  after?: string;
}

/** GET /drops/:dropId/members: one page of the drop's members, in customer-id order. */
export interface DropMembersPage {
  dropId: string;
  /** How many members the drop has in all. */
  members: number;
  customerIds: string[];
  /** Present when more members follow: pass it as `after`. */
  next?: string;
}

@ApiTags('drops')
@Controller('drops/:dropId/members')
export class ListDropMembersController {
  constructor(private readonly drops: DropWriter) {}

  @Get()
  @ApiOkResponse({ type: DropMembersPageDto })
  @ApiOperation({
    summary: "A page of the drop's members, in customer-id order, from the drop's decided state (ops)",
    description:
      'Follow `next` (pass it as `after`) until it is absent. Pages are ordered by customer id, so a member added between pages shows up where it sorts.',
  })
  async list(@Param() params: DropIdParams, @Query() query: ListDropMembersQuery): Promise<DropMembersPage> {
    const { state } = await this.drops.load(params.dropId);
    if (state.status === 'initial')
      throw new DomainError('DROP.NOT_FOUND', `Drop ${params.dropId} does not exist`, { dropId: params.dropId });
    const limit = query.limit ?? 100;
    const after = query.after;
    // Members are a Set (the decider's O(1) lookup), not kept sorted: a page sorts the ids after
    // the cursor, O(m log m) for m ≤ 100,000 members. Ops-only and rare; the hot path never pays it.
    const rest: string[] = [];
    for (const id of state.members) if (after === undefined || id > after) rest.push(id);
    rest.sort();
    const page = rest.slice(0, limit);
    return {
      dropId: params.dropId,
      members: state.members.size,
      customerIds: page,
      ...(rest.length > limit ? { next: page[page.length - 1] } : {}),
    };
  }
}
