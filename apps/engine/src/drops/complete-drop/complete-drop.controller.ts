import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Clock, contextFromRequest, DropIdParams } from '@dropline/platform';
import { CompleteDropCommand } from './complete-drop.command';
import { DropViewDto } from '../drop-views.dto';

@ApiTags('drops')
@Controller('drops/:dropId')
export class CompleteDropController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('complete')
  @HttpCode(200)
  @ApiOkResponse({ type: DropViewDto })
  @ApiOperation({ summary: 'Complete the drop once everything is handed over and return windows passed' })
  complete(@Param() p: DropIdParams, @Req() r: FastifyRequest) {
    return this.commands.execute(new CompleteDropCommand({ dropId: p.dropId }, contextFromRequest(r, this.clock)));
  }
}
