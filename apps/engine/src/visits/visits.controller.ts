import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Clock } from '../infrastructure/clock';
import { contextFromRequest } from '../infrastructure/request-context';
import { DropIdParams } from '../http/params';
import { RecordVisitsDto } from './record-visits.dto';
import { VisitsRecorder } from './visits-recorder';

@ApiTags('visits')
@Controller('drops/:dropId/visits')
export class VisitsController {
  constructor(private readonly visits: VisitsRecorder, private readonly clock: Clock) {}

  // The drop's existence is not checked: that would read its stream on every storefront
  // hit. Visits of an unknown drop are harmless facts nobody reads.
  @Post() @HttpCode(202) @ApiOperation({ summary: 'Record a batch of storefront visits (conversion analytics); stored as VisitsRecorded in visits-<dropId>' })
  async record(@Param() p: DropIdParams, @Body() body: RecordVisitsDto, @Req() request: FastifyRequest) {
    await this.visits.record(
      p.dropId,
      body.visits.map((v) => ({ visitorId: v.visitorId, channel: v.channel, at: new Date(v.at).toISOString() })),
      contextFromRequest(request, this.clock),
    );
    return { accepted: body.visits.length };
  }
}
