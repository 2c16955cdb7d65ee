import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropIdOf } from '@dropline/domain';
import { Clock, contextFromRequest, PreOrderIdParams } from '@dropline/platform';
import { RefundRequestDto } from './request-refund.dto';
import { RequestRefundCommand } from './request-refund.command';
import { PreOrderViewDto } from '../../drops/drop-views.dto';

@ApiTags('pre-orders')
@Controller('pre-orders/:preOrderId')
export class RequestRefundController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('refund-requests')
  @HttpCode(200)
  @ApiOkResponse({ type: PreOrderViewDto })
  @ApiOperation({ summary: 'Ask for a pre-order to be refunded (409 REFUND.RETURN_EXISTS once it has a return: the return refunds it)' })
  refund(@Param() p: PreOrderIdParams, @Body() body: RefundRequestDto, @Req() r: FastifyRequest) {
    return this.commands.execute(
      new RequestRefundCommand(
        { dropId: dropIdOf(p.preOrderId), preOrderId: p.preOrderId, reason: body.reason },
        contextFromRequest(r, this.clock),
      ),
    );
  }
}
