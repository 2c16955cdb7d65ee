import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { actorFromRequest, Clock, contextFromRequest, DropIdParams } from '@dropline/platform';
import { AddDropMembersCommand, DropMembersAnswer } from './add-drop-members.command';
import { DropMembersDto } from './add-drop-members.dto';
import { DropMembersAnswerDto } from '../drop-views.dto';

@ApiTags('drops')
@Controller('drops/:dropId/members')
export class AddDropMembersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: DropMembersAnswerDto })
  @ApiOperation({
    summary: "Grant customers access to the drop's members phases (ops)",
    description:
      'Records DropMembersAdded with the ops subject as addedBy; ids already members are skipped (nothing recorded when none is new). ' +
      'Until the window closes (409 DROP.MEMBERS_LOCKED after), at most 100,000 members per drop (409 DROP.MEMBERS_LIMIT).',
  })
  add(@Param() p: DropIdParams, @Body() body: DropMembersDto, @Req() r: FastifyRequest): Promise<DropMembersAnswer> {
    return this.commands.execute(
      new AddDropMembersCommand(
        { dropId: p.dropId, customerIds: body.customerIds, actor: actorFromRequest(r) },
        contextFromRequest(r, this.clock),
      ),
    );
  }
}
