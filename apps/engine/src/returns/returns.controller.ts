import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, Matches, Max, Min } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { dropIdOf, RETURN_CONDITIONS, RETURN_REASONS, ReturnCondition, ReturnReason, returnIdFor } from '@dropline/domain';
import { actorFromRequest, Clock, contextFromRequest, PreOrderIdParams, ReturnIdParams } from '@dropline/platform';
import { ReturnAction, ReturnCommand } from './return.command';

export class RequestReturnDto {
  @ApiProperty({ enum: RETURN_REASONS })
  @IsIn(RETURN_REASONS)
  reason!: ReturnReason;
}
export class ReceiveReturnDto {
  @ApiProperty({ enum: RETURN_CONDITIONS })
  @IsIn(RETURN_CONDITIONS)
  condition!: ReturnCondition;
}
export class ReturnRefundDto {
  @ApiProperty({ example: 2500, description: 'Integer minor units, at least 1' })
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  amount!: number;
  @ApiProperty({ example: 're_123' })
  @Matches(/^[A-Za-z0-9_.:-]{1,128}$/, { message: 'providerRef must be 1-128 letters, digits, or _ . : -' })
  providerRef!: string;
}

@ApiTags('returns')
@Controller()
export class ReturnsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  private run(dropId: string, action: ReturnAction, request: FastifyRequest) {
    return this.commands.execute(new ReturnCommand(dropId, action, contextFromRequest(request, this.clock)));
  }

  @Post('pre-orders/:preOrderId/returns')
  @HttpCode(201)
  @ApiOperation({ summary: 'Request a return within the return window (one return per pre-order; a repeat answers with it)' })
  request(@Param() p: PreOrderIdParams, @Body() body: RequestReturnDto, @Req() r: FastifyRequest) {
    const dropId = dropIdOf(p.preOrderId);
    return this.run(
      dropId,
      {
        type: 'RequestReturn',
        returnId: returnIdFor(dropId, p.preOrderId, 1),
        preOrderId: p.preOrderId,
        reason: body.reason,
        actor: actorFromRequest(r),
      },
      r,
    );
  }

  @Post('returns/:returnId/receive')
  @HttpCode(200)
  @ApiOperation({ summary: 'The returned goods arrived, restockable or not' })
  receive(@Param() p: ReturnIdParams, @Body() body: ReceiveReturnDto, @Req() r: FastifyRequest) {
    return this.run(dropIdOf(p.returnId), { type: 'ReceiveReturn', returnId: p.returnId, condition: body.condition }, r);
  }

  @Post('returns/:returnId/refunds')
  @HttpCode(200)
  @ApiOperation({ summary: "Record the payment provider's refund of a return" })
  refunded(@Param() p: ReturnIdParams, @Body() body: ReturnRefundDto, @Req() r: FastifyRequest) {
    return this.run(
      dropIdOf(p.returnId),
      { type: 'RecordReturnRefunded', returnId: p.returnId, amount: body.amount, providerRef: body.providerRef },
      r,
    );
  }
}
