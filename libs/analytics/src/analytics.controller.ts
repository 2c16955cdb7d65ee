import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { AnalyticsQueries } from './analytics.queries';
import { DropAnalyticsDto } from './analytics.dto';

export class AnalyticsDropParams {
  @ApiProperty()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'dropId must be 1-64 letters, digits, - or _' })
  dropId!: string;
}

@ApiTags('analytics')
@Controller('analytics/drops')
export class AnalyticsController {
  constructor(@Inject(AnalyticsQueries) private readonly queries: AnalyticsQueries) {}

  @Get(':dropId')
  @ApiOkResponse({ type: DropAnalyticsDto })
  @ApiOperation({ summary: 'Conversion, time to purchase, sell-through, baskets and revenue per tier, returns and refunds' })
  drop(@Param() p: AnalyticsDropParams) {
    return this.queries.drop(p.dropId);
  }
}
