import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropIdOf } from '@dropline/domain';
import { Clock, contextFromRequest, PreOrderIdParams } from '@dropline/platform';
import { ConfirmDeliveryCommand } from './confirm-delivery.command';
import { PreOrderViewDto } from '../../drops/drop-views.dto';

@ApiTags('fulfillment')
@Controller('pre-orders/:preOrderId')
export class ConfirmDeliveryController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('delivered')
  @HttpCode(200)
  @ApiOkResponse({ type: PreOrderViewDto })
  @ApiOperation({ summary: 'The carrier delivered' })
  delivered(@Param() p: PreOrderIdParams, @Req() r: FastifyRequest) {
    return this.commands.execute(
      new ConfirmDeliveryCommand({ dropId: dropIdOf(p.preOrderId), preOrderId: p.preOrderId }, contextFromRequest(r, this.clock)),
    );
  }
}
