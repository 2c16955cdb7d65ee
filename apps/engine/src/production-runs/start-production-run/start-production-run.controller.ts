import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropIdOf } from '@dropline/domain';
import { Clock, contextFromRequest, RunIdParams } from '@dropline/platform';
import { StartProductionRunCommand } from './start-production-run.command';
import { ProductionRunViewDto } from '../../drops/drop-views.dto';

@ApiTags('production')
@Controller('production-runs/:runId')
export class StartProductionRunController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('start')
  @HttpCode(200)
  @ApiOkResponse({ type: ProductionRunViewDto })
  @ApiOperation({ summary: 'The microfactory started the run' })
  start(@Param() p: RunIdParams, @Req() r: FastifyRequest) {
    return this.commands.execute(
      new StartProductionRunCommand({ dropId: dropIdOf(p.runId), runId: p.runId }, contextFromRequest(r, this.clock)),
    );
  }
}
