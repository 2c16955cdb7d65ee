import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropIdOf } from '@dropline/domain';
import { actorFromRequest, Clock, contextFromRequest, PreOrderIdParams } from '@dropline/platform';
import { CancelPreOrderCommand } from './cancel-pre-order.command';
import { PreOrderViewDto } from '../../drops/drop-views.dto';

@ApiTags('pre-orders')
@Controller('pre-orders/:preOrderId')
export class CancelPreOrderController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: PreOrderViewDto })
  @ApiOperation({ summary: 'Cancel a pre-order before the window closes; its units return to stock' })
  cancel(@Param() p: PreOrderIdParams, @Req() r: FastifyRequest) {
    return this.commands.execute(
      new CancelPreOrderCommand(
        { dropId: dropIdOf(p.preOrderId), preOrderId: p.preOrderId, actor: actorFromRequest(r) },
        contextFromRequest(r, this.clock),
      ),
    );
  }
}
