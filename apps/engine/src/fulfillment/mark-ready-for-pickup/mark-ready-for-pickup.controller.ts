import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropIdOf } from '@dropline/domain';
import { Clock, contextFromRequest, PreOrderIdParams } from '@dropline/platform';
import { MarkReadyForPickupCommand } from './mark-ready-for-pickup.command';
import { PreOrderViewDto } from '../../drops/drop-views.dto';

@ApiTags('fulfillment')
@Controller('pre-orders/:preOrderId')
export class MarkReadyForPickupController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('ready-for-pickup')
  @HttpCode(200)
  @ApiOkResponse({ type: PreOrderViewDto })
  @ApiOperation({ summary: 'A covered pickup pre-order waits at its location' })
  ready(@Param() p: PreOrderIdParams, @Req() r: FastifyRequest) {
    return this.commands.execute(
      new MarkReadyForPickupCommand({ dropId: dropIdOf(p.preOrderId), preOrderId: p.preOrderId }, contextFromRequest(r, this.clock)),
    );
  }
}
