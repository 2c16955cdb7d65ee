import { Inject, Injectable } from '@nestjs/common';
import { DropEvent, dropStreamName, ExistingDrop, isPublic, SalesChannel } from '@dropline/domain';
import { toDomainEvent } from '@dropline/event-sourcing';
import type { EventStore } from '@dropline/event-store';
import type { Databases } from '@dropline/platform';
import { DATABASES, EVENT_STORE } from '@dropline/platform';
import { dropEventSchema, DropWriter } from '../drops/drop-writer';

/** What the visits intake needs to know about a public drop. */
export interface VisitableDrop {
  channels: readonly SalesChannel[];
  scheduledAtMs: number;
}

/** How long a drop looked up from the stores is trusted here, and how many are kept. */
const TTL_MS = 30_000;
const MAX_CACHED = 10_000;
/** How long a drop found not public is taken as such (an announcement by another engine shows after at most this). */
const NOT_PUBLIC_TTL_MS = 1_000;

/**
 * A public drop's channels and when it was scheduled — or undefined when the drop does not
 * exist or is not public yet (announced, or an access phase or its window opened: `isPublic`),
 * the same two answers the storefront gives, so a till or service token learns nothing of a
 * drop the storefront may not show. At O(1) cost per call for a public drop, whatever the size
 * of its stream (a till posting visits in a loop must not make the engine fold a hot drop each
 * time):
 *
 * 1. the drop writer's cached state when it is public (no IO; fresh in the engine that handles it);
 * 2. else a recent lookup kept here for 30 s (public drops only: a drop stays public for good);
 * 3. else the drop stream's FIRST event (DropScheduled: existence, scheduledAt), with the
 *    channels of the drops read model's current definition when the read model shows it public;
 * 4. else — a drop the read model does not show public (another engine may have just announced
 *    it, or the read model lags or cannot be read) — the drop's state (DropWriter.load: a fold
 *    kept by the writer, so a loop only reads what was appended since; a drop not yet public is
 *    small, as nothing is sold before, while a public one whose read model lags is folded once).
 *
 * Unknown drops are not remembered here; a drop not public yet is, for NOT_PUBLIC_TTL_MS, so a
 * till probing it in a loop costs two reads a second, not three per call.
 */
@Injectable()
export class VisitDrops {
  /** Public drops (for TTL_MS) and drops not public yet (`drop` undefined, for NOT_PUBLIC_TTL_MS). */
  private readonly cache = new Map<string, { drop: VisitableDrop | undefined; until: number }>();

  constructor(
    private readonly drops: DropWriter,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATABASES) private readonly databases: Databases,
  ) {}

  async find(dropId: string): Promise<VisitableDrop | undefined> {
    const cached = this.drops.cachedState(dropId);
    if (cached && cached.status !== 'initial' && isPublic(cached)) return visitable(cached);
    const now = Date.now();
    const hit = this.cache.get(dropId);
    if (hit && hit.until > now) return hit.drop;
    this.cache.delete(dropId);

    const [head] = await this.store.readStream(dropStreamName(dropId), { fromRevision: 0, maxCount: 1 });
    if (!head) return undefined;
    const first = toDomainEvent<DropEvent>(head, dropEventSchema);
    if (first.type !== 'DropScheduled') return undefined;
    const projected = await this.databases.readModels
      .query<{ announced: boolean; channels: unknown }>(
        `select announced, definition->'channels' as channels from rm_drop_summary where drop_id = $1`,
        [dropId],
      )
      .then((r) => r.rows[0])
      // The stream is the authority; without the read model the drop's state answers (below).
      .catch(() => undefined);
    let drop: VisitableDrop;
    if (projected?.announced && Array.isArray(projected.channels) && projected.channels.every((c) => typeof c === 'string')) {
      drop = { channels: projected.channels as SalesChannel[], scheduledAtMs: Date.parse(first.data.scheduledAt) };
    } else {
      const { state } = await this.drops.load(dropId);
      if (state.status === 'initial') return undefined;
      if (!isPublic(state)) {
        this.remember(dropId, undefined, now + NOT_PUBLIC_TTL_MS);
        return undefined;
      }
      drop = visitable(state);
    }
    this.remember(dropId, drop, now + TTL_MS);
    return drop;
  }

  private remember(dropId: string, drop: VisitableDrop | undefined, until: number): void {
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(dropId, { drop, until });
  }
}

function visitable(state: ExistingDrop): VisitableDrop {
  return { channels: state.definition.channels, scheduledAtMs: Date.parse(state.scheduledAt) };
}
