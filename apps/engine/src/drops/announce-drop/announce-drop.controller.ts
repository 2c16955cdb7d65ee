import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Clock, contextFromRequest, DropIdParams } from '@dropline/platform';
import { AnnounceDropCommand } from './announce-drop.command';
import { DropViewDto } from '../drop-views.dto';

@ApiTags('drops')
@Controller('drops/:dropId')
export class AnnounceDropController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('announce')
  @HttpCode(200)
  @ApiOkResponse({ type: DropViewDto })
  @ApiOperation({
    summary: 'Announce a scheduled drop: the storefront lists it (anonymous GET /drops) before its early access or window opens',
  })
  announce(@Param() p: DropIdParams, @Req() r: FastifyRequest) {
    return this.commands.execute(new AnnounceDropCommand({ dropId: p.dropId }, contextFromRequest(r, this.clock)));
  }
}
