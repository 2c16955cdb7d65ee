import { ApiProperty } from '@nestjs/swagger';

// GET /analytics/drops/:dropId as the OpenAPI document shows it (AnalyticsQueries.drop builds it).
// apps/engine/test/api-docs.e2e-spec.ts checks a real answer against it with no property left undocumented.

export class ChannelMetricsDto {
  @ApiProperty() channel!: string;
  @ApiProperty() visits!: number;
  @ApiProperty({
    description:
      'Visitors whose FIRST visit to the drop was on this channel (first touch: each visitor counts on one channel, so the channels add up to the drop’s unique visitors; a visitor who came back on another channel is not counted there)',
  })
  uniqueVisitors!: number;
  @ApiProperty() preOrders!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Pre-orders per visit; null without visits' }) conversion!: number | null;
  @ApiProperty() units!: number;
  @ApiProperty({ description: 'Integer minor units' }) revenue!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Mean units per pre-order not cancelled' }) averageBasketUnits!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Mean seconds from the drop’s first opening to the pre-order' })
  averageSecondsFromOpen!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Mean seconds from the customer’s first visit to the pre-order' })
  averageSecondsFromFirstVisit!: number | null;
}

export class TierMetricsDto {
  @ApiProperty() tier!: number;
  @ApiProperty() preOrders!: number;
  @ApiProperty() units!: number;
  @ApiProperty() revenue!: number;
  @ApiProperty() averageBasketUnits!: number;
}

export class SellThroughDto {
  @ApiProperty({ format: 'date-time' }) hour!: string;
  @ApiProperty({ description: 'Cumulative net units by the end of the hour' }) unitsSold!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Share of the edition' }) ratio!: number | null;
}

export class ReturnsByReasonMetricsDto {
  @ApiProperty() reason!: string;
  @ApiProperty() count!: number;
  @ApiProperty({ nullable: true, type: Number }) rate!: number | null;
}

export class ReturnsBySkuMetricsDto {
  @ApiProperty() sku!: string;
  @ApiProperty({ nullable: true, type: String }) size!: string | null;
  @ApiProperty() count!: number;
  @ApiProperty({ nullable: true, type: Number }) rate!: number | null;
}

export class ReturnsMetricsDto {
  @ApiProperty() count!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Returns per pre-order' }) rate!: number | null;
  @ApiProperty({ type: [ReturnsByReasonMetricsDto] }) byReason!: ReturnsByReasonMetricsDto[];
  @ApiProperty({ type: [ReturnsBySkuMetricsDto] }) bySku!: ReturnsBySkuMetricsDto[];
}

export class RefundsByKindDto {
  @ApiProperty({
    enum: ['payment', 'requested', 'return'],
    description: '`payment`: refunded by the provider; `return`: a return refunded; `requested`: refunds asked for (not money yet)',
  })
  kind!: string;
  @ApiProperty() count!: number;
  @ApiProperty() amount!: number;
}

export class RefundsMetricsDto {
  @ApiProperty({ description: 'Refunds paid back: kinds `payment` and `return`' }) count!: number;
  @ApiProperty({ description: 'Integer minor units paid back (kinds `payment` and `return`)' }) amount!: number;
  @ApiProperty({ type: [RefundsByKindDto] }) byKind!: RefundsByKindDto[];
}

export class DropAnalyticsDto {
  @ApiProperty() dropId!: string;
  @ApiProperty({ nullable: true, type: String }) currency!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Units of every variant’s edition cap' }) editionTotal!: number | null;
  @ApiProperty({ type: [ChannelMetricsDto] }) channels!: ChannelMetricsDto[];
  @ApiProperty({ type: [TierMetricsDto] }) tiers!: TierMetricsDto[];
  @ApiProperty({ type: [SellThroughDto] }) sellThrough!: SellThroughDto[];
  @ApiProperty({ type: ReturnsMetricsDto }) returns!: ReturnsMetricsDto;
  @ApiProperty({ type: RefundsMetricsDto }) refunds!: RefundsMetricsDto;
}
