import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropIdOf } from '@dropline/domain';
import { Clock, contextFromRequest, PreOrderIdParams } from '@dropline/platform';
import { ConfirmPickupCommand } from './confirm-pickup.command';
import { PreOrderViewDto } from '../../drops/drop-views.dto';

@ApiTags('fulfillment')
@Controller('pre-orders/:preOrderId')
export class ConfirmPickupController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('picked-up')
  @HttpCode(200)
  @ApiOkResponse({ type: PreOrderViewDto })
  @ApiOperation({ summary: 'The customer collected the pre-order' })
  pickedUp(@Param() p: PreOrderIdParams, @Req() r: FastifyRequest) {
    return this.commands.execute(
      new ConfirmPickupCommand({ dropId: dropIdOf(p.preOrderId), preOrderId: p.preOrderId }, contextFromRequest(r, this.clock)),
    );
  }
}
