import type { InboundMessage } from '../transport';
import type { Queryable } from './consumer-handler';
import { TransientDeliveryError, type DeliveryOutcome, type EffectivelyOnceConsumer } from './effectively-once-consumer';

/** One row of a consumer's dead-letter table, as operators see it. */
export interface DeadLetterRecord {
  /** The row's id (a decimal string): what a redrive names. */
  id: string;
  ceId: string | null;
  ceType: string | null;
  /** `unparseable`, `unknown-schema` or `rejected:<code>`. */
  reason: string;
  detail: string;
  deadLetteredAt: string;
  /** How `key` and `value` are written: UTF-8 text, or base64 when the bytes were not text. */
  encoding: 'utf8' | 'base64';
  key: string | null;
  /** The message value, its first LISTED_VALUE_CHARS characters in a list (see valueTruncated). */
  value: string | null;
  /** True when the list left out the rest of a longer value (the redrive hands over all of it). */
  valueTruncated: boolean;
  headers: Record<string, string>;
  /** When it was redriven (or a redrive began: outcome `redriving`), null while it waits. */
  redrivenAt: string | null;
  /** What the redrive did: a delivery outcome (`applied`, `duplicate`, `skipped`, `dead-lettered`), `redriving`, or `dismissed` (written off). */
  redriveOutcome: string | null;
}

export interface DeadLetterQuery {
  /** Rows after this id (the previous page's `next`). */
  after?: string;
  limit: number;
  /** Only rows not redriven (nor dismissed) yet. */
  pending?: boolean;
  /** Only rows whose reason is this one, or starts with it followed by `:` (`rejected` takes every `rejected:<code>`). */
  reason?: string;
}

export type RedriveOutcome = DeliveryOutcome | 'dismissed' | 'not-found' | 'already-redriven';

export interface RedriveResult {
  id: string;
  outcome: RedriveOutcome;
  /** For `already-redriven`: what the earlier redrive did. For `dead-lettered`: the new row's reason is in the list. */
  previousOutcome?: string;
}

/** A redrive that began this long ago and never finished (its process died) may be taken again. */
export const REDRIVE_STALE_AFTER_SECONDS = 60;
/** The rows a message's fingerprint is unique among (TableDeadLetterSink's index): waiting, or written off. */
const OPEN_ROW = `o.redriven_at is null or o.redrive_outcome = 'dismissed'`;
/** Rows one prune statement deletes at most. */
export const PRUNE_SLICE = 1_000;
/** A list shows this much of each value. */
export const LISTED_VALUE_CHARS = 65_536;
/** A list's page ends once its rows reach this many bytes (the row that reaches them included). */
export const LISTED_PAGE_BYTES = 4 * 1024 * 1024;

interface Row {
  id: string;
  ce_id: string | null;
  reason: string;
  detail: string;
  dead_lettered_at: Date;
  encoding: 'utf8' | 'base64';
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  redriven_at: Date | null;
  redrive_outcome: string | null;
  value_truncated?: boolean;
}

const COLUMNS = 'id::text as id, ce_id, reason, detail, dead_lettered_at, encoding, key, value, headers, redriven_at, redrive_outcome';
const LISTED_COLUMNS = COLUMNS.replace(
  ' value,',
  ` left(value, ${LISTED_VALUE_CHARS}) as value, coalesce(length(value) > ${LISTED_VALUE_CHARS}, false) as value_truncated,`,
);

/**
 * A consumer's dead letters: listed for operators, and redriven through the consumer once the
 * cause is gone (an upgrade that knows the schema, a fixed handler, the missing pre-order now
 * seen). A redrive forgets the ce_id's `dead-lettered` record (not an `applied` one), then hands
 * the stored message to the consumer exactly as a delivery, so it is applied effectively once:
 * a redrive racing the live consumer, another engine or a second redrive applies it once, and a
 * message that is still refused is dead-lettered again as a new row. Works the same in every
 * mode: every consumer writes this table (TableDeadLetterSink), Kafka mode besides the topic.
 */
export class DeadLetterLedger {
  constructor(
    private readonly db: Queryable,
    private readonly consumer: EffectivelyOnceConsumer,
  ) {}

  get name(): string {
    return this.consumer.handler.name;
  }

  private get table(): string {
    return `${this.consumer.schema}.dead_letters`;
  }

  /** How many wait: neither redriven nor dismissed (a claim gone stale counts, as in `pending`). */
  async waiting(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      // Two counts, each over its partial index (pruning takes settled rows only: the rest may be many).
      `select (select count(*) from ${this.table} where redriven_at is null)::int
            + (select count(*) from ${this.table}
                where redrive_outcome = 'redriving' and redriven_at < now() - make_interval(secs => $1))::int as n`,
      [REDRIVE_STALE_AFTER_SECONDS],
    );
    return rows[0].n;
  }

  /**
   * Deletes the rows settled more than `days` ago: redriven (whatever the redrive did) or
   * dismissed. Rows that wait, and redrives under way, stay whatever their age. In slices of
   * PRUNE_SLICE rows, each its own statement over the `dead_letters_settled` index, so no delete
   * holds many row locks for long; an aborted signal ends it between two. How many it deleted.
   */
  async prune(days: number, signal?: AbortSignal): Promise<number> {
    let pruned = 0;
    // Stops between slices when asked (a shutdown must not wait for a large first round).
    while (!signal?.aborted) {
      const { rows } = await this.db.query<{ n: number }>(
        `with gone as (
           delete from ${this.table} where id in (
             select id from ${this.table}
              where redriven_at < now() - make_interval(days => $1) and redrive_outcome <> 'redriving'
              limit $2)
           returning 1)
         select count(*)::int as n from gone`,
        [days, PRUNE_SLICE],
      );
      pruned += rows[0].n;
      if (rows[0].n < PRUNE_SLICE) break;
    }
    return pruned;
  }

  /** A page of dead letters in the order they came, and the cursor of the next (null at the end). */
  async list(query: DeadLetterQuery): Promise<{ deadLetters: DeadLetterRecord[]; next: string | null }> {
    // The page ends after `limit` rows or once LISTED_PAGE_BYTES are reached, whichever comes first
    // (the row that reaches them included): key, detail and headers are listed whole, and whatever
    // reached the topic may be large. Measured in the database, so no more rows than listed leave it.
    const { rows } = await this.db.query<Row & { total: number }>(
      `select * from (
         select page.*, count(*) over ()::int as total,
                coalesce(sum(page.size) over (order by page.n rows between unbounded preceding and 1 preceding), 0) as before
           from (select ${LISTED_COLUMNS}, id as n,
                        coalesce(octet_length(key), 0) + coalesce(octet_length(left(value, ${LISTED_VALUE_CHARS})), 0)
                          + octet_length(detail) + octet_length(headers::text) as size
                   from ${this.table}
                  where id > $1::bigint
                    and ($2::boolean is not true or redriven_at is null or (redrive_outcome = 'redriving' and redriven_at < now() - make_interval(secs => $5)))
                    and ($3::text is null or reason = $3 or starts_with(reason, $3 || ':'))
                  order by id limit $4) page) sized
        where before < $6 order by n`,
      [query.after ?? '0', query.pending ?? false, query.reason ?? null, query.limit + 1, REDRIVE_STALE_AFTER_SECONDS, LISTED_PAGE_BYTES],
    );
    const page = rows.slice(0, query.limit);
    const more = (rows[0]?.total ?? 0) > page.length;
    return { deadLetters: page.map(record), next: more ? page[page.length - 1].id : null };
  }

  /**
   * Redrives the rows, in id order, one at a time. Throws TransientDeliveryError when one fails
   * (the consumer's database is down, the dead-letter topic refuses, the handler fails) with its row
   * released for a later redrive — or, when the release fails too, claimed until the claim is stale
   * (REDRIVE_STALE_AFTER_SECONDS); what was redriven before stays.
   */
  async redrive(ids: readonly string[]): Promise<RedriveResult[]> {
    const results: RedriveResult[] = [];
    for (const id of inIdOrder(ids)) results.push(await this.redriveOne(id));
    return results;
  }

  /**
   * Writes the rows off without handing them over (a poison message no release will parse, a fact
   * the consumer must never apply): each leaves the waiting list as `dismissed`, kept for the
   * audit. A row being redriven, or already redriven or dismissed, answers `already-redriven`.
   */
  async dismiss(ids: readonly string[]): Promise<RedriveResult[]> {
    const results: RedriveResult[] = [];
    for (const id of inIdOrder(ids)) {
      const claimed = await this.claim(id, 'dismissed');
      results.push('outcome' in claimed ? claimed : { id, outcome: 'dismissed' });
    }
    return results;
  }

  /**
   * Takes a row for `as`, one caller at a time: a waiting row; for a redrive also a stale claim of
   * one whose process died (it may have applied the message: only a redrive finds out, answering
   * `duplicate`, so a dismiss never takes a claim). The row, or why it could not be taken.
   */
  private async claim(id: string, as: 'redriving' | 'dismissed'): Promise<Row | RedriveResult> {
    // A dismissal also records the event's ce_id as refused, in the same statement, so the consumer
    // skips it whenever it comes again, even once it knows its schema; not for bytes that did not
    // parse, whose ce_id header may be that of a real event.
    const claimed = await this.db.query<Row>(
      `with claimed as (
         update ${this.table} set redriven_at = now(), redrive_outcome = $3
          where id = $1::bigint
            and (redriven_at is null
                 or ($3 = 'redriving' and redrive_outcome = 'redriving' and redriven_at < now() - make_interval(secs => $2)))
          returning *),
       refused as (
         insert into ${this.consumer.schema}.processed_events (ce_id, ce_type, outcome)
         select ce_id, coalesce(headers->>'ce_type', 'unknown'), 'dead-lettered' from claimed
          where $3 = 'dismissed' and ce_id is not null and reason <> 'unparseable'
         on conflict (ce_id) do nothing)
       select ${COLUMNS} from claimed`,
      [id, REDRIVE_STALE_AFTER_SECONDS, as],
    );
    if (claimed.rows[0]) return claimed.rows[0];
    const { rows } = await this.db.query<{ redrive_outcome: string | null }>(
      `select redrive_outcome from ${this.table} where id = $1::bigint`,
      [id],
    );
    if (rows.length === 0) return { id, outcome: 'not-found' };
    return { id, outcome: 'already-redriven', previousOutcome: rows[0].redrive_outcome ?? undefined };
  }

  private async redriveOne(id: string): Promise<RedriveResult> {
    const row = await this.claim(id, 'redriving');
    if ('outcome' in row) return row;
    let outcome: DeliveryOutcome;
    try {
      // A rejection recorded its ce_id so a re-delivery is not rejected again; the redrive is meant to try again.
      // Bytes that did not parse recorded nothing: their ce_id header may be a real event's, whose record stays.
      if (row.ce_id !== null && row.reason !== 'unparseable') {
        await this.db.query(`delete from ${this.consumer.schema}.processed_events where ce_id = $1 and outcome = 'dead-lettered'`, [
          row.ce_id,
        ]);
      }
      outcome = await this.consumer.handle(message(row));
    } catch (e) {
      // Down too: the claim stays, and the row may be taken again once it is stale.
      await this.release(id).catch(() => undefined);
      if (e instanceof TransientDeliveryError) throw e;
      throw new TransientDeliveryError(`${this.name}: redrive of dead letter ${id} failed: ${(e as Error).message}`, e);
    }
    // The ce_id already had a record: `applied` means it was applied meanwhile (a re-delivery, another
    // redrive of a second row of it); `dead-lettered` that it was refused again meanwhile — not applied.
    if (outcome === 'duplicate' && row.ce_id !== null) {
      const { rows } = await this.db.query<{ outcome: string }>(
        `select outcome from ${this.consumer.schema}.processed_events where ce_id = $1`,
        [row.ce_id],
      );
      if (rows[0]?.outcome === 'dead-lettered') outcome = 'dead-lettered';
    }
    // While it is claimed (this redrive's claim, or that of one that took it over once stale: the last to finish
    // records what it did), or waiting again because such a takeover failed and released it, unless the message
    // was refused again: then that waiting row is where it waits (its new row met it on the fingerprint and was
    // not written). Never over a dismissal.
    await this.db.query(
      `update ${this.table} set redriven_at = now(), redrive_outcome = $2
        where id = $1::bigint and (redrive_outcome = 'redriving' or (redriven_at is null and $2 <> 'dead-lettered'))`,
      [id, outcome],
    );
    return { id, outcome };
  }

  /**
   * Undoes a failed redrive's claim, so the row waits again. Unless the redrive wrote the
   * message's new row before it failed (Kafka mode writes the table, then the topic): that row
   * waits for the message, so this one is recorded as `dead-lettered` (the fingerprint index
   * allows one open row per message). One statement: no unique violation to recover from.
   */
  private async release(id: string): Promise<void> {
    await this.db.query(
      `update ${this.table} as r
          set redriven_at = case when w.twin then now() end,
              redrive_outcome = case when w.twin then 'dead-lettered' end
         from (select exists (
                 select 1 from ${this.table} o
                  where o.fingerprint = (select fingerprint from ${this.table} where id = $1::bigint)
                    and o.id <> $1::bigint and (${OPEN_ROW})) as twin) w
        where r.id = $1::bigint and r.redrive_outcome = 'redriving'`,
      [id],
    );
  }
}

function record(row: Row): DeadLetterRecord {
  return {
    id: row.id,
    ceId: row.ce_id,
    ceType: row.headers.ce_type ?? null,
    reason: row.reason,
    detail: row.detail,
    deadLetteredAt: new Date(row.dead_lettered_at).toISOString(),
    encoding: row.encoding,
    key: row.key,
    value: row.value,
    valueTruncated: row.value_truncated ?? false,
    headers: row.headers,
    redrivenAt: row.redriven_at === null ? null : new Date(row.redriven_at).toISOString(),
    redriveOutcome: row.redrive_outcome,
  };
}

/** Distinct ids, ascending: the order the rows came in. */
function inIdOrder(ids: readonly string[]): string[] {
  return [...new Set(ids)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

/** The stored message as the consumer received it (without its offset: a redrive is no delivery of the topic's). */
function message(row: Row): InboundMessage {
  const bytes = (text: string | null) => (text === null ? null : Buffer.from(text, row.encoding));
  return { key: bytes(row.key), value: bytes(row.value), headers: { ...row.headers } };
}
