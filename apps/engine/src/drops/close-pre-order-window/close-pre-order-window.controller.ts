import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Clock, contextFromRequest, DropIdParams } from '@dropline/platform';
import { ClosePreOrderWindowCommand } from './close-pre-order-window.command';
import { DropViewDto } from '../drop-views.dto';

@ApiTags('drops')
@Controller('drops/:dropId')
export class ClosePreOrderWindowController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('close')
  @HttpCode(200)
  @ApiOkResponse({ type: DropViewDto })
  @ApiOperation({ summary: 'Close the pre-order window now and decide the tipping point' })
  close(@Param() p: DropIdParams, @Req() r: FastifyRequest) {
    return this.commands.execute(new ClosePreOrderWindowCommand({ dropId: p.dropId }, contextFromRequest(r, this.clock)));
  }
}
