import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsObject, IsOptional, Max, Min } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { dropIdOf, productionRunIdFor } from '@dropline/domain';
import { Clock, contextFromRequest, DropIdParams, ProblemException, RunIdParams } from '@dropline/platform';
import { DropWriter } from '../drops/drop-writer';
import { ProductionRunCommand, RunAction } from './production-run.command';

const SKU = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Validates a `{ sku: units }` map (class-validator has no map-of-int rule). */
function unitsMap(value: Record<string, unknown>, field: string, allowEmpty = false): Record<string, number> {
  const entries = Object.entries(value);
  if ((!allowEmpty && entries.length === 0) || entries.length > 200)
    throw new ProblemException(400, 'VALIDATION.FAILED', `${field} must name ${allowEmpty ? 0 : 1}-200 SKUs`, { field });
  for (const [sku, units] of entries) {
    if (!SKU.test(sku)) throw new ProblemException(400, 'VALIDATION.FAILED', `${field} has an invalid SKU`, { field: `${field}.${sku}` });
    if (!Number.isInteger(units) || (units as number) < 0 || (units as number) > 10_000_000) {
      throw new ProblemException(400, 'VALIDATION.FAILED', `${field}.${sku} must be a whole number of units`, { field: `${field}.${sku}` });
    }
  }
  return value as Record<string, number>;
}

export class RequestRunDto {
  @ApiProperty({ example: { 'HH-M-NAVY': 20 } })
  @IsObject()
  unitsBySku!: Record<string, number>;
  @ApiPropertyOptional({ description: 'Run number; defaults to the next one. Run 1 is requested by the tipping point.' })
  @IsOptional()
  @IsInt()
  @Min(2)
  @Max(10_000)
  runNumber?: number;
}

export class CompleteRunDto {
  @ApiProperty({ example: { 'HH-M-NAVY': 20 } })
  @IsObject()
  producedBySku!: Record<string, number>;
  @ApiProperty({ example: { 'HH-M-NAVY': 1 } })
  @IsObject()
  rejectedBySku!: Record<string, number>;
}

@ApiTags('production')
@Controller()
export class ProductionRunsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
    private readonly drops: DropWriter,
  ) {}

  private run(dropId: string, action: RunAction, request: FastifyRequest) {
    return this.commands.execute(new ProductionRunCommand(dropId, action, contextFromRequest(request, this.clock)));
  }

  @Post('drops/:dropId/production-runs')
  @HttpCode(201)
  @ApiOperation({ summary: 'Request an extra production run (restock) once the drop has tipped' })
  async request(@Param() p: DropIdParams, @Body() body: RequestRunDto, @Req() r: FastifyRequest) {
    const unitsBySku = unitsMap(body.unitsBySku, 'unitsBySku');
    let n = body.runNumber;
    if (n === undefined) {
      const { state } = await this.drops.load(p.dropId);
      n = state.status === 'initial' ? 2 : Math.max(2, state.runs.size + 1);
    }
    return this.run(p.dropId, { type: 'RequestProductionRun', runId: productionRunIdFor(p.dropId, n), unitsBySku }, r);
  }

  @Post('production-runs/:runId/start')
  @HttpCode(200)
  @ApiOperation({ summary: 'The microfactory started the run' })
  start(@Param() p: RunIdParams, @Req() r: FastifyRequest) {
    return this.run(dropIdOf(p.runId), { type: 'StartProductionRun', runId: p.runId }, r);
  }

  @Post('production-runs/:runId/complete')
  @HttpCode(200)
  @ApiOperation({ summary: 'The run finished: units produced and rejected at QC per SKU; coverage is allocated in acceptance order' })
  complete(@Param() p: RunIdParams, @Body() body: CompleteRunDto, @Req() r: FastifyRequest) {
    const producedBySku = unitsMap(body.producedBySku, 'producedBySku');
    const rejectedBySku = unitsMap(body.rejectedBySku, 'rejectedBySku', true);
    return this.run(dropIdOf(p.runId), { type: 'CompleteProductionRun', runId: p.runId, producedBySku, rejectedBySku }, r);
  }
}
