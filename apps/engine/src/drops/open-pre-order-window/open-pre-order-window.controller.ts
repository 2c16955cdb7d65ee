import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Clock, contextFromRequest, DropIdParams } from '@dropline/platform';
import { OpenPreOrderWindowCommand } from './open-pre-order-window.command';
import { DropViewDto } from '../drop-views.dto';

@ApiTags('drops')
@Controller('drops/:dropId')
export class OpenPreOrderWindowController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('open')
  @HttpCode(200)
  @ApiOkResponse({ type: DropViewDto })
  @ApiOperation({ summary: 'Open the pre-order window now' })
  open(@Param() p: DropIdParams, @Req() r: FastifyRequest) {
    return this.commands.execute(new OpenPreOrderWindowCommand({ dropId: p.dropId }, contextFromRequest(r, this.clock)));
  }
}
