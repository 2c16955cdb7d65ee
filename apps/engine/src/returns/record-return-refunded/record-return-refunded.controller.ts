import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropIdOf } from '@dropline/domain';
import { Clock, contextFromRequest, ReturnIdParams } from '@dropline/platform';
import { ReturnRefundDto } from './record-return-refunded.dto';
import { RecordReturnRefundedCommand } from './record-return-refunded.command';
import { ReturnViewDto } from '../../drops/drop-views.dto';

@ApiTags('returns')
@Controller('returns/:returnId')
export class RecordReturnRefundedController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('refunds')
  @HttpCode(200)
  @ApiOkResponse({ type: ReturnViewDto })
  @ApiOperation({ summary: "Record the payment provider's refund of a return" })
  refunded(@Param() p: ReturnIdParams, @Body() body: ReturnRefundDto, @Req() r: FastifyRequest) {
    return this.commands.execute(
      new RecordReturnRefundedCommand(
        { dropId: dropIdOf(p.returnId), returnId: p.returnId, amount: body.amount, providerRef: body.providerRef },
        contextFromRequest(r, this.clock),
      ),
    );
  }
}
