import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropIdOf } from '@dropline/domain';
import { Clock, contextFromRequest, ReturnIdParams } from '@dropline/platform';
import { ReceiveReturnDto } from './receive-return.dto';
import { ReceiveReturnCommand } from './receive-return.command';
import { ReturnViewDto } from '../../drops/drop-views.dto';

@ApiTags('returns')
@Controller('returns/:returnId')
export class ReceiveReturnController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('receive')
  @HttpCode(200)
  @ApiOkResponse({ type: ReturnViewDto })
  @ApiOperation({ summary: 'The returned goods arrived, restockable or not' })
  receive(@Param() p: ReturnIdParams, @Body() body: ReceiveReturnDto, @Req() r: FastifyRequest) {
    return this.commands.execute(
      new ReceiveReturnCommand(
        { dropId: dropIdOf(p.returnId), returnId: p.returnId, condition: body.condition },
        contextFromRequest(r, this.clock),
      ),
    );
  }
}
