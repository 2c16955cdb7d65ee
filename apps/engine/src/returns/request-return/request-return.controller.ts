import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropIdOf, returnIdFor } from '@dropline/domain';
import { actorFromRequest, Clock, contextFromRequest, PreOrderIdParams } from '@dropline/platform';
import { RequestReturnDto } from './request-return.dto';
import { RequestReturnCommand } from './request-return.command';
import { ReturnViewDto } from '../../drops/drop-views.dto';

@ApiTags('returns')
@Controller('pre-orders/:preOrderId')
export class RequestReturnController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('returns')
  @HttpCode(201)
  @ApiCreatedResponse({ type: ReturnViewDto })
  @ApiOperation({
    summary:
      'Request a return within the return window (one return per pre-order; a repeat answers with it; none for a pre-order with a refund requested, nor once the drop is completed)',
  })
  request(@Param() p: PreOrderIdParams, @Body() body: RequestReturnDto, @Req() r: FastifyRequest) {
    const dropId = dropIdOf(p.preOrderId);
    return this.commands.execute(
      new RequestReturnCommand(
        {
          dropId,
          returnId: returnIdFor(dropId, p.preOrderId, 1),
          preOrderId: p.preOrderId,
          reason: body.reason,
          actor: actorFromRequest(r),
        },
        contextFromRequest(r, this.clock),
      ),
    );
  }
}
