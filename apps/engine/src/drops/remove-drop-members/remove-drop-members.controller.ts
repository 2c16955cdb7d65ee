import { Controller, Delete, HttpCode, Param, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { actorFromRequest, Clock, contextFromRequest, DropMemberParams } from '@dropline/platform';
import type { DropMembersAnswer } from '../add-drop-members/add-drop-members.command';
import { RemoveDropMembersCommand } from './remove-drop-members.command';
import { DropMembersAnswerDto } from '../drop-views.dto';

@ApiTags('drops')
@Controller('drops/:dropId/members')
export class RemoveDropMembersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Delete(':customerId')
  @HttpCode(200)
  @ApiOkResponse({ type: DropMembersAnswerDto })
  @ApiOperation({
    summary: "Withdraw a customer's members access (ops); pre-orders they placed stay",
    description:
      'Records DropMembersRemoved with the ops subject as removedBy; a customer who is not a member records nothing. ' +
      'Until the window closes (409 DROP.MEMBERS_LOCKED after).',
  })
  remove(@Param() p: DropMemberParams, @Req() r: FastifyRequest): Promise<DropMembersAnswer> {
    return this.commands.execute(
      new RemoveDropMembersCommand(
        { dropId: p.dropId, customerIds: [p.customerId], actor: actorFromRequest(r) },
        contextFromRequest(r, this.clock),
      ),
    );
  }
}
