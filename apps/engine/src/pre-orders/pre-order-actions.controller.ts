import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { dropIdOf, ISO_4217_CURRENCIES } from '@dropline/domain';
import { actorFromRequest, Clock, contextFromRequest, IsText, PreOrderIdParams } from '@dropline/platform';
import { PreOrderAction, PreOrderActionCommand } from './pre-order-action.command';

const PAYMENT_FACTS = ['authorized', 'captured', 'failed', 'refunded'] as const;
const FACT_COMMAND = {
  authorized: 'RecordPaymentAuthorized',
  captured: 'RecordPaymentCaptured',
  failed: 'RecordPaymentFailed',
  refunded: 'RecordPaymentRefunded',
} as const;

export class PaymentFactDto {
  @ApiProperty({ enum: PAYMENT_FACTS })
  @IsIn(PAYMENT_FACTS)
  status!: (typeof PAYMENT_FACTS)[number];
  @ApiProperty({ example: 2500, description: 'Integer minor units, at least 1' })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  amount!: number;
  @ApiProperty({ example: 'pi_3Nx…', description: "The provider's id of this fact; a repeat is ignored" })
  @Matches(/^[A-Za-z0-9_.:-]{1,128}$/, { message: 'providerRef must be 1-128 letters, digits, or _ . : -' })
  providerRef!: string;
  @ApiPropertyOptional({ example: 'GBP', description: "ISO 4217 code of the amount; when given it must be the drop's currency" })
  @IsOptional()
  @IsIn([...ISO_4217_CURRENCIES], { message: 'currency must be an ISO-4217 currency code such as GBP' })
  currency?: string;
}

export class RefundRequestDto {
  @ApiProperty({ example: 'not covered by the production run' })
  @IsText(500)
  reason!: string;
}

@ApiTags('pre-orders')
@Controller('pre-orders/:preOrderId')
export class PreOrderActionsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  private run(preOrderId: string, action: PreOrderAction, request: FastifyRequest) {
    return this.commands.execute(new PreOrderActionCommand(dropIdOf(preOrderId), action, contextFromRequest(request, this.clock)));
  }

  @Post('cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a pre-order before the window closes; its units return to stock' })
  cancel(@Param() p: PreOrderIdParams, @Req() r: FastifyRequest) {
    return this.run(p.preOrderId, { type: 'CancelPreOrder', preOrderId: p.preOrderId, actor: actorFromRequest(r) }, r);
  }

  @Post('payments')
  @HttpCode(200)
  @ApiOperation({ summary: "Record a payment provider's fact (authorized, captured, failed, refunded)" })
  payment(@Param() p: PreOrderIdParams, @Body() body: PaymentFactDto, @Req() r: FastifyRequest) {
    return this.run(
      p.preOrderId,
      {
        type: FACT_COMMAND[body.status],
        preOrderId: p.preOrderId,
        amount: body.amount,
        providerRef: body.providerRef,
        ...(body.currency ? { currency: body.currency } : {}),
      },
      r,
    );
  }

  @Post('refund-requests')
  @HttpCode(200)
  @ApiOperation({ summary: 'Ask for a pre-order to be refunded' })
  refund(@Param() p: PreOrderIdParams, @Body() body: RefundRequestDto, @Req() r: FastifyRequest) {
    return this.run(p.preOrderId, { type: 'RequestRefund', preOrderId: p.preOrderId, reason: body.reason }, r);
  }
}
