import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import {
  CustomerPreOrderEntity,
  DropSummaryEntity,
  InventoryEntity,
  ProductionRunEntity,
  ProjectionLag,
  RestockThresholdEntity,
  ReturnsByReasonEntity,
} from '@dropline/projections';
import { Audience, DropIdParams, ProblemException, type ReadAudience } from '@dropline/platform';
import { CustomerIdParams, ListDropsQuery, PageQuery } from './read-models.dto';
import type { DropDefinition } from '@dropline/domain';
import { phaseViews } from './phase-views';
import { ProjectorService } from './projector.service';
import { StorefrontDropDto, StorefrontPageDto } from './storefront.dto';
import { StorefrontReader } from './storefront.reader';
import {
  CustomerPreOrdersDto,
  InventoryDto,
  RestockThresholdsDto,
  ReturnRateDto,
  StaffDropDetailDto,
  StaffDropPageDto,
} from './read-models.answers.dto';

/** Swagger: a public read answers the storefront shape anonymously and the staff shape to ops/analyst tokens. */
const twoAudiences = (storefront: string, staff: string) =>
  ApiOkResponse({
    description: `Anonymous (and customer, till, service) callers get ${storefront}; an ops or analyst token gets ${staff}`,
    schema: { oneOf: [{ $ref: getSchemaPath(storefront) }, { $ref: getSchemaPath(staff) }] },
  });

/** How far the answering read model has caught up; every read-model response carries it. */
export interface ReadModelFreshness {
  projection: string;
  checkpoint: string | null;
  lagSeconds: number;
  lagEvents: number | null;
}

function freshness(lag: ProjectionLag): ReadModelFreshness {
  return { projection: lag.projection, checkpoint: lag.checkpoint, lagSeconds: lag.lagSeconds, lagEvents: lag.lagEvents };
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

@ApiTags('read models')
@ApiExtraModels(StorefrontDropDto, StorefrontPageDto, ReturnRateDto, StaffDropDetailDto, StaffDropPageDto)
@Controller()
export class ReadModelsController {
  // Reads go through TypeORM repositories (ReadModelsModule's TypeOrmModule.forFeature); the
  // projections write the same tables with set-based SQL (docs/architecture.md, "Read models").
  constructor(
    private readonly projector: ProjectorService,
    private readonly storefront: StorefrontReader,
    @InjectRepository(DropSummaryEntity) private readonly summaries: Repository<DropSummaryEntity>,
    @InjectRepository(InventoryEntity) private readonly inventories: Repository<InventoryEntity>,
    @InjectRepository(RestockThresholdEntity) private readonly thresholdRows: Repository<RestockThresholdEntity>,
    @InjectRepository(ProductionRunEntity) private readonly runs: Repository<ProductionRunEntity>,
    @InjectRepository(ReturnsByReasonEntity) private readonly returns: Repository<ReturnsByReasonEntity>,
    @InjectRepository(CustomerPreOrderEntity) private readonly preOrders: Repository<CustomerPreOrderEntity>,
  ) {}

  @Get('drops/:dropId/inventory')
  @ApiOperation({ summary: 'Inventory per SKU of a drop, with the read model checkpoint and lag' })
  @ApiOkResponse({ type: InventoryDto })
  async inventory(@Param() params: DropIdParams) {
    const readModel = freshness(await this.projector.lag('drops'));
    await this.summaryOr404(params.dropId, readModel);
    const rows = await this.inventories.find({ where: { dropId: params.dropId }, order: { sku: 'ASC' } });
    return { dropId: params.dropId, skus: rows.map(({ dropId: _d, ...row }) => row), readModel };
  }

  @Get('drops/:dropId/restock-thresholds')
  @ApiOperation({ summary: 'Reorder point per SKU with the inputs it was computed from' })
  @ApiOkResponse({ type: RestockThresholdsDto })
  async thresholds(@Param() params: DropIdParams) {
    const readModel = freshness(await this.projector.lag('drops'));
    await this.summaryOr404(params.dropId, readModel);
    const rows = await this.thresholdRows.find({ where: { dropId: params.dropId }, order: { sku: 'ASC' } });
    return {
      dropId: params.dropId,
      skus: rows.map((t) => ({
        sku: t.sku,
        reorderPoint: t.reorderPoint,
        available: t.available,
        aboveReorderPoint: t.aboveReorderPoint,
        crossings: t.crossings,
        lastCrossingAt: t.lastCrossingAt,
        lastCrossingEventId: t.lastCrossingEventId,
        inputs: {
          windowStart: t.windowStart,
          windowEnd: t.windowEnd,
          dailyUnits: t.dailyUnits,
          dailySales: t.dailySales,
          meanDailyUnits: t.meanDailyUnits,
          stdDevDailyUnits: t.stdDevDailyUnits,
          leadTimeDays: t.leadTimeDays,
          serviceLevel: t.serviceLevel,
          z: t.z,
          safetyStock: t.safetyStock,
          unitsHandedOver: t.unitsHandedOver,
          returnsByReason: t.returnsByReason,
          restockableReturnRate: t.restockableReturnRate,
        },
      })),
      readModel,
    };
  }

  @Get('drops/:dropId/summary')
  @ApiOperation({
    summary:
      'Drop summary. Staff (ops, analyst): status, window, access phases (open phase, allocations, members count), sell-out behaviour and whether sold out, tier in force, units, revenue by tier and channel, MOQ progress, runs, returns. Anyone else: the storefront view of an announced drop',
  })
  @twoAudiences('StorefrontDropDto', 'StaffDropDetailDto')
  async summary(@Param() params: DropIdParams, @Audience() audience: ReadAudience) {
    if (audience === 'storefront') return this.storefront.drop(params.dropId);
    const readModel = freshness(await this.projector.lag('drops'));
    const s = await this.summaryOr404(params.dropId, readModel);
    const runs = await this.runs.find({ where: { dropId: params.dropId }, order: { requestedAt: 'ASC', runId: 'ASC' } });
    const reasons = await this.returns.find({ where: { dropId: params.dropId }, order: { reason: 'ASC' } });
    return {
      ...this.summaryView(s),
      productionRuns: runs.map(({ dropId: _d, ...run }) => run),
      returnsByReason: reasons.map(({ dropId: _d, amountRefunded, ...r }) => ({ ...r, amountRefunded: Number(amountRefunded) })),
      readModel,
    };
  }

  @Get('drops')
  @ApiOperation({ summary: 'Drops by status and city (anonymously: announced drops only, storefront view)' })
  @twoAudiences('StorefrontPageDto', 'StaffDropPageDto')
  async list(@Query() query: ListDropsQuery, @Audience() audience: ReadAudience) {
    if (audience === 'storefront') return this.storefront.list(query, page(query));
    const readModel = freshness(await this.projector.lag('drops'));
    const where: { status?: string; city?: string } = {};
    if (query.status) where.status = query.status;
    if (query.city) where.city = query.city;
    const { limit, offset } = page(query);
    const rows = await this.summaries.find({ where, order: { opensAt: 'ASC', dropId: 'ASC' }, skip: offset, take: limit + 1 });
    return {
      drops: rows.slice(0, limit).map((s) => this.summaryView(s)),
      next: rows.length > limit ? { offset: offset + limit, limit } : null,
      readModel,
    };
  }

  @Get('customers/:customerId/pre-orders')
  @ApiOperation({ summary: "A customer's pre-orders across drops (cancelled ones included)" })
  @ApiOkResponse({ type: CustomerPreOrdersDto })
  async customerPreOrders(@Param() params: CustomerIdParams, @Query() query: PageQuery) {
    const readModel = freshness(await this.projector.lag('drops'));
    const { limit, offset } = page(query);
    const rows = await this.preOrders.find({
      where: { customerId: params.customerId },
      order: { placedAt: 'ASC', preOrderId: 'ASC' },
      skip: offset,
      take: limit + 1,
    });
    return {
      customerId: params.customerId,
      next: rows.length > limit ? { offset: offset + limit, limit } : null,
      preOrders: rows
        .slice(0, limit)
        .map(({ customerId: _c, unitPrice, total, ...p }) => ({ ...p, unitPrice: Number(unitPrice), total: Number(total) })),
      readModel,
    };
  }

  private async summaryOr404(dropId: string, readModel: ReadModelFreshness): Promise<DropSummaryEntity> {
    const row = await this.summaries.findOne({ where: { dropId } });
    if (!row)
      throw new ProblemException(
        404,
        'DROP.NOT_FOUND',
        `Drop ${dropId} is not in the read model (checkpoint ${readModel.checkpoint ?? 'start'}, ${readModel.lagEvents ?? '?'} events behind)`,
        { readModel },
      );
    return row;
  }

  private summaryView(s: DropSummaryEntity) {
    return {
      dropId: s.dropId,
      name: s.name,
      city: s.city,
      currency: s.currency,
      status: s.status,
      announced: s.announced,
      window: { earlyAccessOpensAt: s.earlyAccessOpensAt, opensAt: s.opensAt, closesAt: s.closesAt },
      access: {
        openPhase: s.openPhase,
        phases: phaseViews(s.definition as unknown as DropDefinition, s, true),
        members: s.members,
      },
      onSellOut: s.onSellOut,
      soldOut: s.soldOut,
      tierInForce: { index: s.tierInForce, unitPrice: num(s.unitPriceInForce) },
      unitsSold: s.unitsSold,
      netUnits: s.netUnits,
      activePreOrders: s.activePreOrders,
      revenue: { total: num(s.revenue), byTier: s.revenueByTier, byChannel: s.revenueByChannel },
      moq: {
        minimumOrderQuantity: s.minimumOrderQuantity,
        netUnits: s.netUnits,
        progress: s.minimumOrderQuantity > 0 ? s.netUnits / s.minimumOrderQuantity : 1,
        reached: s.netUnits >= s.minimumOrderQuantity,
      },
    };
  }
}

/** The page a list query asks for (defaults: the first 100 rows). */
function page(query: PageQuery): { limit: number; offset: number } {
  return { limit: query.limit ?? 100, offset: query.offset ?? 0 };
}
