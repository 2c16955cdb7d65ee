import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type FindOptionsWhere, type Repository } from 'typeorm';
import type { DropDefinition } from '@dropline/domain';
import { DropSummaryEntity, InventoryEntity } from '@dropline/projections';
import { ProblemException } from '@dropline/platform';
import { phaseViews } from './phase-views';
import { ProjectorService } from './projector.service';
import type { StorefrontDropDto, StorefrontPageDto } from './storefront.dto';

/** How long one measurement of the read model's lag serves every storefront answer. */
const LAG_TTL_MS = 1000;
/** How long one drop's storefront view serves every caller (the read model lags more than this anyway). */
const VIEW_TTL_MS = 250;
/** Drops whose views are kept for VIEW_TTL_MS (the oldest are dropped beyond it). */
const MAX_CACHED_VIEWS = 1000;

/**
 * The storefront's reads: the drops read model only (rm_drop_summary + rm_inventory), two indexed
 * reads per answer and never the event log, so any number of anonymous callers costs the sale
 * nothing but read-model queries. Announced drops only: a drop the storefront may not show yet
 * answers exactly like a missing one. The view lags the log by the projection's lag, which every
 * answer carries (docs/architecture.md, "Public reads").
 */
@Injectable()
export class StorefrontReader {
  private readonly recent = new Map<string, { readAt: number; view: Promise<StorefrontDropDto> }>();
  private lag: { measuredAt: number; value: Promise<{ checkpoint: string | null; lagSeconds: number }> } | undefined;

  constructor(
    private readonly projector: ProjectorService,
    @InjectRepository(DropSummaryEntity) private readonly summaries: Repository<DropSummaryEntity>,
    @InjectRepository(InventoryEntity) private readonly inventories: Repository<InventoryEntity>,
  ) {}

  /**
   * One announced drop; 404 DROP.NOT_FOUND when it is missing or not announced (the same answer).
   * A crowd polling one page shares one read per VIEW_TTL_MS: the answer is at most that much
   * older than the read model, whose own lag every answer shows.
   */
  drop(dropId: string): Promise<StorefrontDropDto> {
    const now = performance.now();
    const hit = this.recent.get(dropId);
    if (hit && now - hit.readAt <= VIEW_TTL_MS) return hit.view;
    const view = this.read(dropId);
    this.recent.delete(dropId);
    this.recent.set(dropId, { readAt: now, view });
    // A failure (404 included) is not kept: an announcement shows up on the next call.
    view.catch(() => this.recent.get(dropId)?.view === view && this.recent.delete(dropId));
    if (this.recent.size > MAX_CACHED_VIEWS) this.recent.delete(this.recent.keys().next().value as string);
    return view;
  }

  private async read(dropId: string): Promise<StorefrontDropDto> {
    const summary = await this.summaries.findOne({ where: { dropId, announced: true } });
    if (!summary) throw storefrontNotFound(dropId);
    const [view] = await this.views([summary]);
    return view;
  }

  /** Announced drops by status and city, in opening order. */
  async list(filter: { status?: string; city?: string }, page: { limit: number; offset: number }): Promise<StorefrontPageDto> {
    const where: FindOptionsWhere<DropSummaryEntity> = { announced: true };
    if (filter.status) where.status = filter.status;
    if (filter.city) where.city = filter.city;
    const rows = await this.summaries.find({ where, order: { opensAt: 'ASC', dropId: 'ASC' }, skip: page.offset, take: page.limit + 1 });
    return {
      drops: await this.views(rows.slice(0, page.limit)),
      next: rows.length > page.limit ? { offset: page.offset + page.limit, limit: page.limit } : null,
    };
  }

  private async views(summaries: DropSummaryEntity[]): Promise<StorefrontDropDto[]> {
    if (summaries.length === 0) return [];
    const freshness = await this.freshness();
    const inventory = await this.inventories.find({ where: { dropId: In(summaries.map((s) => s.dropId)) } });
    const bySku = new Map(inventory.map((row) => [`${row.dropId}\u0000${row.sku}`, row]));
    return summaries.map((s) => {
      const definition = s.definition as unknown as DropDefinition;
      const unitPrice = Number(s.unitPriceInForce);
      const variants = definition.variants.map((v) => {
        const row = bySku.get(`${s.dropId}\u0000${v.sku}`);
        // What the decider would still accept: the cap less the units pre-ordered now.
        const remaining = Math.max(0, v.editionCap - (row?.unitsPreOrdered ?? 0));
        return { sku: v.sku, size: v.size, colour: v.colour, unitPrice, remaining, soldOut: remaining === 0 };
      });
      return {
        dropId: s.dropId,
        name: s.name,
        city: s.city,
        currency: s.currency,
        status: s.status,
        window: { opensAt: definition.window.opensAt, closesAt: definition.window.closesAt },
        earlyAccess: definition.earlyAccess ? { opensAt: definition.earlyAccess.opensAt, audience: definition.earlyAccess.audience } : null,
        // Names, audiences, times and status only: never the members nor what a phase reserves.
        phases: phaseViews(definition, s),
        openPhase: s.openPhase,
        onSellOut: s.onSellOut,
        variants,
        soldOut: variants.every((v) => v.soldOut),
        readModel: { asOfRevision: s.lastRevision, asOfPosition: freshness.checkpoint, lagSeconds: freshness.lagSeconds },
      };
    });
  }

  /**
   * The read model's lag, measured at most once a second and shared by every caller meanwhile:
   * measuring it reads the log's head, which a crowd polling the storefront must not multiply.
   */
  private freshness(): Promise<{ checkpoint: string | null; lagSeconds: number }> {
    const now = performance.now();
    if (!this.lag || now - this.lag.measuredAt > LAG_TTL_MS) {
      const value = this.projector.lag('drops').then((l) => ({ checkpoint: l.checkpoint, lagSeconds: l.lagSeconds }));
      // A failed measurement is not kept: the next caller measures again.
      value.catch(() => (this.lag = undefined));
      this.lag = { measuredAt: now, value };
    }
    return this.lag.value;
  }
}

/** What the storefront answers for a drop that is missing or not announced: one body for both. */
export function storefrontNotFound(dropId: string): ProblemException {
  return new ProblemException(404, 'DROP.NOT_FOUND', `Drop ${dropId} does not exist`, { dropId });
}
