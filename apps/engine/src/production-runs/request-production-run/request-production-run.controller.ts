import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { productionRunIdFor } from '@dropline/domain';
import { Clock, contextFromRequest, DropIdParams } from '@dropline/platform';
import { DropWriter } from '../../drops/drop-writer';
import { unitsMap } from '../units-map';
import { RequestRunDto } from './request-production-run.dto';
import { RequestProductionRunCommand } from './request-production-run.command';
import { ProductionRunViewDto } from '../../drops/drop-views.dto';

@ApiTags('production')
@Controller('drops/:dropId')
export class RequestProductionRunController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
    private readonly drops: DropWriter,
  ) {}

  @Post('production-runs')
  @HttpCode(201)
  @ApiCreatedResponse({ type: ProductionRunViewDto })
  @ApiOperation({ summary: 'Request an extra production run (restock) once the drop has tipped' })
  async request(@Param() p: DropIdParams, @Body() body: RequestRunDto, @Req() r: FastifyRequest) {
    const unitsBySku = unitsMap(body.unitsBySku, 'unitsBySku');
    let n = body.runNumber;
    if (n === undefined) {
      const { state } = await this.drops.load(p.dropId);
      n = state.status === 'initial' ? 2 : Math.max(2, state.runs.size + 1);
    }
    const fields = { dropId: p.dropId, runId: productionRunIdFor(p.dropId, n), unitsBySku };
    return this.commands.execute(new RequestProductionRunCommand(fields, contextFromRequest(r, this.clock)));
  }
}
