import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropIdOf } from '@dropline/domain';
import { Clock, contextFromRequest, RunIdParams } from '@dropline/platform';
import { unitsMap } from '../units-map';
import { CompleteRunDto } from './complete-production-run.dto';
import { CompleteProductionRunCommand } from './complete-production-run.command';
import { ProductionRunViewDto } from '../../drops/drop-views.dto';

@ApiTags('production')
@Controller('production-runs/:runId')
export class CompleteProductionRunController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('complete')
  @HttpCode(200)
  @ApiOkResponse({ type: ProductionRunViewDto })
  @ApiOperation({ summary: 'The run finished: units produced and rejected at QC per SKU; coverage is allocated in acceptance order' })
  complete(@Param() p: RunIdParams, @Body() body: CompleteRunDto, @Req() r: FastifyRequest) {
    const producedBySku = unitsMap(body.producedBySku, 'producedBySku');
    const rejectedBySku = unitsMap(body.rejectedBySku, 'rejectedBySku', true);
    const fields = { dropId: dropIdOf(p.runId), runId: p.runId, producedBySku, rejectedBySku };
    return this.commands.execute(new CompleteProductionRunCommand(fields, contextFromRequest(r, this.clock)));
  }
}
