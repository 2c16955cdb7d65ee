import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { dropIdOf } from '@dropline/domain';
import { Clock, contextFromRequest, IsText, PreOrderIdParams } from '@dropline/platform';
import { PreOrderAction, PreOrderActionCommand } from '../pre-orders/pre-order-action.command';

export class DispatchDto {
  @ApiProperty({ example: 'royal-mail' })
  @IsText(64)
  carrier!: string;
  @ApiProperty({ example: 'RM123456789GB' })
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'trackingNumber must be 1-64 letters, digits, - or _' })
  trackingNumber!: string;
}

/** Hand-over facts reported by the fulfillment partner (or the fulfillment app). */
@ApiTags('fulfillment')
@Controller('pre-orders/:preOrderId')
export class FulfillmentController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  private run(preOrderId: string, action: PreOrderAction, request: FastifyRequest) {
    return this.commands.execute(new PreOrderActionCommand(dropIdOf(preOrderId), action, contextFromRequest(request, this.clock)));
  }

  @Post('dispatch')
  @HttpCode(200)
  @ApiOperation({ summary: 'A covered ship pre-order left the microfactory' })
  dispatch(@Param() p: PreOrderIdParams, @Body() body: DispatchDto, @Req() r: FastifyRequest) {
    return this.run(
      p.preOrderId,
      { type: 'DispatchShipment', preOrderId: p.preOrderId, carrier: body.carrier, trackingNumber: body.trackingNumber },
      r,
    );
  }

  @Post('delivered')
  @HttpCode(200)
  @ApiOperation({ summary: 'The carrier delivered' })
  delivered(@Param() p: PreOrderIdParams, @Req() r: FastifyRequest) {
    return this.run(p.preOrderId, { type: 'ConfirmDelivery', preOrderId: p.preOrderId }, r);
  }

  @Post('ready-for-pickup')
  @HttpCode(200)
  @ApiOperation({ summary: 'A covered pickup pre-order waits at its location' })
  ready(@Param() p: PreOrderIdParams, @Req() r: FastifyRequest) {
    return this.run(p.preOrderId, { type: 'MarkReadyForPickup', preOrderId: p.preOrderId }, r);
  }

  @Post('picked-up')
  @HttpCode(200)
  @ApiOperation({ summary: 'The customer collected the pre-order' })
  pickedUp(@Param() p: PreOrderIdParams, @Req() r: FastifyRequest) {
    return this.run(p.preOrderId, { type: 'ConfirmPickup', preOrderId: p.preOrderId }, r);
  }
}
