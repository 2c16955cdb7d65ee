import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { dropNotFound } from '@dropline/domain';
import { Clock, contextFromRequest, DropIdParams, ProblemException } from '@dropline/platform';
import { RecordVisitsDto } from './record-visits.dto';
import { VisitDrops } from './visit-drops';
import { VisitsRecorder } from './visits-recorder';

/** A visit may be dated at most this far after the engine's clock (clock skew of tills and storefronts). */
export const VISIT_MAX_AHEAD_MS = 5 * 60_000;
/** …and at most this far before it (a till that was offline for a long time), and never before its drop was scheduled. */
export const VISIT_MAX_AGE_DAYS = 400;

/** POST /drops/:dropId/visits: how many visits of the batch were recorded. */
export class VisitsAcceptedDto {
  @ApiProperty() accepted!: number;
}

@ApiTags('visits')
@Controller('drops/:dropId/visits')
export class VisitsController {
  constructor(
    private readonly visits: VisitsRecorder,
    private readonly drops: VisitDrops,
    private readonly clock: Clock,
  ) {}

  /**
   * The whole batch is refused at the first visit that does not fit (its `field` names it):
   * 404 DROP.NOT_FOUND for a drop that does not exist or is not public yet (the storefront's
   * answer: nothing of an unannounced drop — its channels, its scheduling — is told), 422 VISIT.CHANNEL_NOT_ALLOWED for a
   * channel the drop is not sold on, 422 VISIT.AT_OUT_OF_RANGE for a time outside
   * [max(scheduled, now − 400 days), now + 5 min]. A public drop is looked up without folding
   * its stream (VisitDrops).
   */
  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: VisitsAcceptedDto })
  @ApiOperation({ summary: 'Record a batch of storefront visits (conversion analytics); stored as VisitsRecorded in visits-<dropId>' })
  async record(@Param() p: DropIdParams, @Body() body: RecordVisitsDto, @Req() request: FastifyRequest) {
    const drop = await this.drops.find(p.dropId);
    if (!drop) throw dropNotFound(p.dropId);
    const now = this.clock.now().getTime();
    const earliest = Math.max(drop.scheduledAtMs, now - VISIT_MAX_AGE_DAYS * 86_400_000);
    const latest = now + VISIT_MAX_AHEAD_MS;
    const visits = body.visits.map((v, i) => {
      if (!drop.channels.includes(v.channel)) {
        throw new ProblemException(
          422,
          'VISIT.CHANNEL_NOT_ALLOWED',
          `Drop ${p.dropId} is not sold on ${v.channel} (channels: ${drop.channels.join(', ')})`,
          { field: `visits[${i}].channel`, allowed: drop.channels },
        );
      }
      const at = Date.parse(v.at);
      if (!(at >= earliest && at <= latest)) {
        throw new ProblemException(
          422,
          'VISIT.AT_OUT_OF_RANGE',
          `Visits of this drop are dated from ${new Date(earliest).toISOString()} (its scheduling, or ${VISIT_MAX_AGE_DAYS} days ago) to ${new Date(latest).toISOString()} (now + 5 minutes)`,
          {
            field: `visits[${i}].at`,
            earliest: new Date(earliest).toISOString(),
            latest: new Date(latest).toISOString(),
          },
        );
      }
      return { visitorId: v.visitorId, channel: v.channel, at: new Date(at).toISOString() };
    });
    await this.visits.record(p.dropId, visits, contextFromRequest(request, this.clock));
    return { accepted: visits.length };
  }
}
