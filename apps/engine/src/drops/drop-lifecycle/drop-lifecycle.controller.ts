import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Clock, contextFromRequest, DropIdParams, IsText } from '@dropline/platform';
import { DropLifecycleCommand, LifecycleAction } from './drop-lifecycle.command';

export class CancelDropDto {
  @ApiProperty({ example: 'microfactory unavailable' })
  @IsText(500)
  reason!: string;
}

@ApiTags('drops')
@Controller('drops/:dropId')
export class DropLifecycleController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  private run(dropId: string, action: LifecycleAction, request: FastifyRequest) {
    return this.commands.execute(new DropLifecycleCommand(dropId, action, contextFromRequest(request, this.clock)));
  }

  @Post('open')
  @HttpCode(200)
  @ApiOperation({ summary: 'Open the pre-order window now' })
  open(@Param() p: DropIdParams, @Req() r: FastifyRequest) {
    return this.run(p.dropId, { type: 'OpenPreOrderWindow' }, r);
  }

  @Post('close')
  @HttpCode(200)
  @ApiOperation({ summary: 'Close the pre-order window now and decide the tipping point' })
  close(@Param() p: DropIdParams, @Req() r: FastifyRequest) {
    return this.run(p.dropId, { type: 'ClosePreOrderWindow' }, r);
  }

  @Post('cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel the drop; every pre-order is refunded' })
  cancel(@Param() p: DropIdParams, @Body() body: CancelDropDto, @Req() r: FastifyRequest) {
    return this.run(p.dropId, { type: 'CancelDrop', reason: body.reason }, r);
  }

  @Post('complete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Complete the drop once everything is handed over and return windows passed' })
  complete(@Param() p: DropIdParams, @Req() r: FastifyRequest) {
    return this.run(p.dropId, { type: 'CompleteDrop' }, r);
  }
}
