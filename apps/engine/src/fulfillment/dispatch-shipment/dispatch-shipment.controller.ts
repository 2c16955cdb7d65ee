import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropIdOf } from '@dropline/domain';
import { Clock, contextFromRequest, PreOrderIdParams } from '@dropline/platform';
import { DispatchDto } from './dispatch-shipment.dto';
import { DispatchShipmentCommand } from './dispatch-shipment.command';
import { PreOrderViewDto } from '../../drops/drop-views.dto';

@ApiTags('fulfillment')
@Controller('pre-orders/:preOrderId')
export class DispatchShipmentController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('dispatch')
  @HttpCode(200)
  @ApiOkResponse({ type: PreOrderViewDto })
  @ApiOperation({ summary: 'A covered ship pre-order left the microfactory' })
  dispatch(@Param() p: PreOrderIdParams, @Body() body: DispatchDto, @Req() r: FastifyRequest) {
    return this.commands.execute(
      new DispatchShipmentCommand(
        { dropId: dropIdOf(p.preOrderId), preOrderId: p.preOrderId, carrier: body.carrier, trackingNumber: body.trackingNumber },
        contextFromRequest(r, this.clock),
      ),
    );
  }
}
