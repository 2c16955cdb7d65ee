import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropIdOf } from '@dropline/domain';
import { Clock, contextFromRequest, PreOrderIdParams } from '@dropline/platform';
import { PaymentFactDto } from './record-payment.dto';
import {
  RecordPaymentAuthorizedCommand,
  RecordPaymentCapturedCommand,
  RecordPaymentFailedCommand,
  RecordPaymentRefundedCommand,
} from './record-payment.command';
import { PreOrderViewDto } from '../../drops/drop-views.dto';

/** One route for the provider's four facts; each fact is its own command. */
const FACT_COMMAND = {
  authorized: RecordPaymentAuthorizedCommand,
  captured: RecordPaymentCapturedCommand,
  failed: RecordPaymentFailedCommand,
  refunded: RecordPaymentRefundedCommand,
} as const;

@ApiTags('pre-orders')
@Controller('pre-orders/:preOrderId')
export class RecordPaymentController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('payments')
  @HttpCode(200)
  @ApiOkResponse({ type: PreOrderViewDto })
  @ApiOperation({ summary: "Record a payment provider's fact (authorized, captured, failed, refunded)" })
  payment(@Param() p: PreOrderIdParams, @Body() body: PaymentFactDto, @Req() r: FastifyRequest) {
    const Fact = FACT_COMMAND[body.status];
    const fields = {
      dropId: dropIdOf(p.preOrderId),
      preOrderId: p.preOrderId,
      amount: body.amount,
      providerRef: body.providerRef,
      ...(body.currency ? { currency: body.currency } : {}),
    };
    return this.commands.execute(new Fact(fields, contextFromRequest(r, this.clock)));
  }
}
