import { Inject, Injectable } from '@nestjs/common';
import { DropEvent, dropStreamName, SalesChannel } from '@dropline/domain';
import { toDomainEvent } from '@dropline/event-sourcing';
import type { EventStore } from '@dropline/event-store';
import type { Databases } from '@dropline/platform';
import { DATABASES, EVENT_STORE } from '@dropline/platform';
import { dropEventSchema, DropWriter } from '../drops/drop-writer';

/** What the visits intake needs to know about a drop. */
export interface VisitableDrop {
  channels: readonly SalesChannel[];
  scheduledAtMs: number;
}

/** How long a drop looked up from the stores is trusted here, and how many are kept. */
const TTL_MS = 30_000;
const MAX_CACHED = 10_000;

/**
 * Whether a drop exists, its channels and when it was scheduled — at O(1) cost per call,
 * whatever the size of the drop's stream (a till posting visits in a loop must not make the
 * engine fold a hot drop each time):
 *
 * 1. the drop writer's cached state (no IO; fresh in the engine that handles the drop);
 * 2. else a recent lookup kept here for 30 s;
 * 3. else the drop stream's FIRST event (DropScheduled: existence, scheduledAt, the first
 *    definition's channels), with the channels of the read model's current definition when
 *    it has the drop (so a revision before opening counts once it is projected).
 *
 * Unknown drops are not remembered: one indexed read of an empty stream per call.
 */
@Injectable()
export class VisitDrops {
  private readonly cache = new Map<string, { drop: VisitableDrop; until: number }>();

  constructor(
    private readonly drops: DropWriter,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATABASES) private readonly databases: Databases,
  ) {}

  async find(dropId: string): Promise<VisitableDrop | undefined> {
    const state = this.drops.cachedState(dropId);
    if (state && state.status !== 'initial') return { channels: state.definition.channels, scheduledAtMs: Date.parse(state.scheduledAt) };
    const now = Date.now();
    const hit = this.cache.get(dropId);
    if (hit && hit.until > now) return hit.drop;
    this.cache.delete(dropId);

    const [head] = await this.store.readStream(dropStreamName(dropId), { fromRevision: 0, maxCount: 1 });
    if (!head) return undefined;
    const first = toDomainEvent<DropEvent>(head, dropEventSchema);
    if (first.type !== 'DropScheduled') return undefined;
    let channels: readonly SalesChannel[] = first.data.definition.channels;
    const projected = await this.databases.readModels
      .query<{ channels: unknown }>(`select definition->'channels' as channels from rm_drop_summary where drop_id = $1`, [dropId])
      .then((r) => r.rows[0]?.channels)
      // The stream is the authority; the read model only refines the channels.
      .catch(() => undefined);
    if (Array.isArray(projected) && projected.every((c) => typeof c === 'string')) channels = projected as SalesChannel[];
    const drop = { channels, scheduledAtMs: Date.parse(first.data.scheduledAt) };
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(dropId, { drop, until: now + TTL_MS });
    return drop;
  }
}
