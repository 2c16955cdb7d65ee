import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Clock, contextFromRequest, DropIdParams } from '@dropline/platform';
import { CancelDropDto } from './cancel-drop.dto';
import { CancelDropCommand } from './cancel-drop.command';
import { DropViewDto } from '../drop-views.dto';

@ApiTags('drops')
@Controller('drops/:dropId')
export class CancelDropController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: DropViewDto })
  @ApiOperation({ summary: 'Cancel the drop; every pre-order is refunded' })
  cancel(@Param() p: DropIdParams, @Body() body: CancelDropDto, @Req() r: FastifyRequest) {
    return this.commands.execute(new CancelDropCommand({ dropId: p.dropId, reason: body.reason }, contextFromRequest(r, this.clock)));
  }
}
