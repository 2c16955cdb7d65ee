import { randomUUID } from 'node:crypto';
import type { EventStore, NewEvent } from '@dropline/event-store';
import type { ConsumerHandler, DeliveredEvent, Queryable } from '../src';
import { PermanentRejection } from '../src';

/** A PreOrderPlaced-shaped event numbered `seq` within its drop. */
export function numbered(dropId: string, seq: number): NewEvent {
  return {
    eventId: randomUUID(),
    type: 'PreOrderPlaced',
    schemaVersion: 1,
    data: { dropId, preOrderId: `${dropId}.po.${seq}`, seq },
    metadata: {
      correlationId: `corr-${dropId}`,
      causationId: seq === 0 ? null : `cause-${seq}`,
      actor: 'test',
      occurredAt: new Date(Date.UTC(2026, 11, 1, 10, 0, seq)).toISOString(),
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    },
  };
}

/** Appends `perDrop` events to each drop, interleaved across drops, a few per append. Returns every event id. */
export async function appendInterleaved(store: EventStore, dropIds: string[], perDrop: number, startSeq = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let seq = startSeq; seq < startSeq + perDrop; seq += 5) {
    for (const dropId of dropIds) {
      const events = Array.from({ length: Math.min(5, startSeq + perDrop - seq) }, (_, i) => numbered(dropId, seq + i));
      await store.appendToStream(`drop-${dropId}`, events, 'any');
      ids.push(...events.map((e) => e.eventId));
    }
  }
  return ids;
}

/**
 * A consumer whose effect is visible and duplicate-sensitive: it counts events per drop and
 * records the order it applied them in. `failFirst` makes the first N attempts on a ce_id fail
 * as if its database were down; `reject` rejects an event permanently.
 */
export class RecordingHandler implements ConsumerHandler {
  readonly eventTypes: ReadonlySet<string> = new Set(['PreOrderPlaced']);
  private readonly attempts = new Map<string, number>();
  failFirst = 0;
  /** Only these ce_ids fail transiently (all when unset). */
  failOnly: Set<string> | undefined;
  reject: (event: DeliveredEvent) => boolean = () => false;

  constructor(readonly name: string) {}

  async migrate(db: Queryable): Promise<void> {
    await db.query(
      `create table if not exists ${this.name}.applied (ordinal bigserial primary key, ce_id text not null, drop_id text not null, seq int not null)`,
    );
  }

  async apply(event: DeliveredEvent, tx: Queryable): Promise<void> {
    const attempt = (this.attempts.get(event.id) ?? 0) + 1;
    this.attempts.set(event.id, attempt);
    if (attempt <= this.failFirst && (!this.failOnly || this.failOnly.has(event.id)))
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    if (this.reject(event)) throw new PermanentRejection('TEST.REJECTED', `event ${event.id} is rejected`);
    await tx.query(`insert into ${this.name}.applied (ce_id, drop_id, seq) values ($1, $2, $3)`, [
      event.id,
      event.subject,
      (event.data as { seq: number }).seq,
    ]);
  }
}
