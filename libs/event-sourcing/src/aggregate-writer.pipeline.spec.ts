import {
  DomainError,
  dropDecider,
  DropCommand,
  DropDefinition,
  DropEvent,
  DropState,
  dropStreamName,
  preOrderAnswer,
  preOrderIdFor,
} from '@dropline/domain';
import {
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadStreamOptions,
  RecordedEvent,
  WrongExpectedRevisionError,
} from '@dropline/event-store';
import { AggregateWriter } from './aggregate-writer';
import { CommandContext } from './envelope';
import { dropEventSchema } from './testing/drop-event-schema';

/*
 * The writer's pipeline (the class comment): the next round is decided while the previous one is
 * appended, appends go one at a time and in order, and nobody is answered before the part their
 * decision sits in is stored. Over an in-memory store whose appends wait until the test lets
 * them through.
 */

const schema = dropEventSchema;
const NOW = '2026-12-02T10:00:00Z';
const context: CommandContext = { actor: 'test', correlationId: 'c', causationId: null, traceparent: '', occurredAt: NOW };

function definition(cap: number): DropDefinition {
  return {
    name: 'Hot drop',
    currency: 'GBP',
    channels: ['web'],
    variants: [{ sku: 'HOT', size: 'M', colour: 'red', editionCap: cap }],
    priceTiers: [{ untilUnitsSold: 100, unitPrice: 1000 }, { unitPrice: 2000 }],
    window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00Z' },
    perCustomerLimit: 10,
    minimumOrderQuantity: 1,
    production: { microfactoryId: 'mf', leadTimeDays: 7 },
    returnWindowDays: 14,
  };
}

interface Append {
  events: number;
  expected: ExpectedRevision;
  /** The store's revision when the append was sent. */
  revisionAtSend: number;
  /** Lets the append through (or fails it with what `release` is given). */
  release(failure?: unknown): void;
}

/** One stream in memory; while `gated`, each append waits in `appends` until released. */
class GatedStore implements EventStore {
  readonly maxAppendBytes = 1_048_576;
  readonly events: RecordedEvent[] = [];
  readonly appends: Append[] = [];
  readonly reads: ReadStreamOptions[] = [];
  gated = false;
  /** Appends sent and not finished: never more than one at a time. */
  inFlight = 0;
  maxInFlight = 0;
  /** Runs before each read returns (once per read). */
  beforeRead: (options: ReadStreamOptions) => Promise<void> | void = () => undefined;

  appendSize(events: readonly NewEvent[]): number {
    return events.reduce((sum, e) => sum + JSON.stringify(e).length, 0);
  }

  async appendToStream(
    streamName: string,
    events: NewEvent[],
    expected: ExpectedRevision,
  ): Promise<{ nextExpectedRevision: number; position: string }> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gated) {
        const failure = await new Promise<unknown>((release) =>
          this.appends.push({ events: events.length, expected, revisionAtSend: this.events.length - 1, release }),
        );
        if (failure !== undefined) throw failure;
      } else {
        this.appends.push({ events: events.length, expected, revisionAtSend: this.events.length - 1, release: () => undefined });
      }
      return this.write(streamName, events, expected);
    } finally {
      this.inFlight--;
    }
  }

  /** What another process's append would do: straight into the stream. */
  write(streamName: string, events: NewEvent[], expected: ExpectedRevision): { nextExpectedRevision: number; position: string } {
    const actual = this.events.length - 1;
    if (expected !== 'any' && (expected === 'no_stream' ? actual !== -1 : expected !== actual))
      throw new WrongExpectedRevisionError(streamName, expected, actual);
    for (const e of events)
      this.events.push({ ...e, streamName, revision: this.events.length, position: String(this.events.length), recordedAt: NOW });
    return { nextExpectedRevision: this.events.length - 1, position: String(this.events.length - 1) };
  }

  async readStream(_streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.reads.push(options);
    await this.beforeRead(options);
    const from = options.fromRevision ?? 0;
    return this.events.slice(from, options.maxCount === undefined ? undefined : from + options.maxCount);
  }

  readAll(): never {
    throw new Error('not used');
  }
  subscribeToAll(): never {
    throw new Error('not used');
  }
  comparePositions(a: string, b: string): number {
    return Number(a) - Number(b);
  }
  async headRecordedAt(): Promise<string | undefined> {
    return undefined;
  }
  async close(): Promise<void> {}
}

type Writer = AggregateWriter<DropState, DropCommand, DropEvent>;
const DROP = 'pipe';
const STREAM = dropStreamName(DROP);

/** A writer over `store` whose decider records every PlacePreOrder it decides (customer ids, in order). */
function recordingWriter(store: EventStore) {
  const decided: string[] = [];
  const writer: Writer = new AggregateWriter(
    store,
    {
      ...dropDecider,
      decide: (command, state) => {
        if (command.type === 'PlacePreOrder') decided.push(command.customerId);
        return dropDecider.decide(command, state);
      },
    },
    schema,
  );
  return { writer, decided };
}

async function openDrop(writer: Writer, cap: number): Promise<void> {
  await writer.execute(STREAM, { type: 'ScheduleDrop', dropId: DROP, definition: definition(cap), now: NOW }, context, () => undefined);
  await writer.execute(STREAM, { type: 'OpenPreOrderWindow', dropId: DROP, now: NOW }, context, () => undefined);
}

/** `count` buyers placing at once; `answered` lists who got an answer, in order. */
function placeAll(writer: Writer, count: number, prefix = 'c') {
  const answered: string[] = [];
  const results = Array.from({ length: count }, (_, i) => {
    const customerId = `${prefix}-${i}`;
    const preOrderId = preOrderIdFor(DROP, customerId, `k-${i}`);
    const command: DropCommand = {
      type: 'PlacePreOrder',
      dropId: DROP,
      preOrderId,
      customerId,
      sku: 'HOT',
      quantity: 1,
      channel: 'web',
      fulfillment: { method: 'ship' },
      isRepeatCustomer: false,
      idempotencyFingerprint: `${customerId}/1`,
      now: NOW,
    };
    const promise = writer.execute(STREAM, command, context, (state) => preOrderAnswer(state, preOrderId)!);
    promise.then(
      () => answered.push(customerId),
      () => answered.push(customerId),
    );
    return promise;
  });
  return { answered, settled: Promise.allSettled(results) };
}

/** Lets timers, I/O and the writer's yields run until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const customers = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `c-${from + i}`);

describe('AggregateWriter pipeline', () => {
  it('decides the second half of a large queue while the first is appended, and appends it only once the first is stored', async () => {
    const store = new GatedStore();
    const { writer, decided } = recordingWriter(store);
    await openDrop(writer, 1000);
    const setup = store.events.length;
    store.appends.length = 0;
    store.gated = true;

    const { answered, settled } = placeAll(writer, 256);
    await until(() => store.appends.length === 1 && decided.length === 256, 'the first append and the second round decided');
    // 256 waiting with nothing in flight: cut in two rounds of 128. The second is decided while the
    // first is appended, and is not sent: nobody is answered yet.
    expect(store.appends[0]).toMatchObject({ events: 128, expected: setup - 1 });
    expect(decided).toEqual(customers(0, 256));
    expect(answered).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.appends).toHaveLength(1);

    store.appends[0].release();
    await until(() => store.appends.length === 2, 'the second append');
    // Sent with the revision the first one produced, after it was stored; the first round's callers are answered.
    expect(store.appends[1]).toMatchObject({ events: 128, expected: setup - 1 + 128, revisionAtSend: setup - 1 + 128 });
    await until(() => answered.length === 128, 'the first round answered');
    expect(answered.sort()).toEqual(customers(0, 128).sort());

    store.appends[1].release();
    const results = await settled;
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    // Decided once each, stored once each, in order, priced by the ladder across the two rounds.
    expect(decided).toHaveLength(256);
    const placed = store.events.filter((e) => e.type === 'PreOrderPlaced');
    expect(placed.map((e) => e.data.customerId)).toEqual(customers(0, 256));
    expect(placed.map((e) => e.data.unitPrice)).toEqual(placed.map((_, n) => (n < 100 ? 1000 : 2000)));
    expect(store.maxInFlight).toBe(1);
    await writer.close();
  });

  it('discards the round decided ahead when the append before it fails, answering nobody of it before its own part is stored', async () => {
    const store = new GatedStore();
    const { writer, decided } = recordingWriter(store);
    await openDrop(writer, 1000);
    store.appends.length = 0;
    store.gated = true;

    const { answered, settled } = placeAll(writer, 256);
    await until(() => store.appends.length === 1 && decided.length === 256, 'the first append and the second round decided');
    // Another process sells a unit while the first round is in flight: the first append loses.
    const other: Writer = new AggregateWriter(store, dropDecider, schema);
    store.gated = false;
    await placeAll(other, 1, 'o').settled;
    store.maxInFlight = 1; // (the other process's append, beside ours)
    store.gated = true;
    const before = store.appends.length;
    store.appends[0].release();

    // Nobody answered: the first round lost, and the second was decided on top of it.
    await until(() => store.appends.length > before, 'the append after the conflict');
    expect(answered).toEqual([]);
    const retry = store.appends[before];
    expect(retry.expected).toBe(retry.revisionAtSend);
    // Both rounds decided again, in order, on the reloaded state (which has the other process's unit).
    expect(decided.slice(256, 384)).toEqual(customers(0, 128));

    for (let next = before; ; next++) {
      await until(() => store.appends.length > next || answered.length === 256, 'the next append');
      if (answered.length === 256) break;
      expect(store.appends[next].expected).toBe(store.appends[next].revisionAtSend);
      store.appends[next].release();
    }
    const results = await settled;
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const placed = store.events.filter((e) => e.type === 'PreOrderPlaced');
    // The other process's unit first (it won the race), then every buyer once, in order.
    expect(placed.map((e) => e.data.customerId)).toEqual(['o-0', ...customers(0, 256)]);
    expect(placed.map((e) => e.data.sequence)).toEqual(placed.map((_, n) => n + 1));
    expect(store.maxInFlight).toBe(1);
    await writer.close();
  });

  it('checks a round decided ahead that appends nothing with a read, and decides it again when another writer moved the stream', async () => {
    const store = new GatedStore();
    const { writer, decided } = recordingWriter(store);
    // The first round of 128 takes every unit: the second, decided ahead, is all "sold out".
    await openDrop(writer, 128);
    store.appends.length = 0;
    store.gated = true;
    const other: Writer = new AggregateWriter(store, dropDecider, schema);
    let verification: ReadStreamOptions | undefined;
    let storedAtCheck = 0;
    store.beforeRead = async (options) => {
      if (options.maxCount !== 1 || verification) return;
      verification = options;
      storedAtCheck = store.events.length;
      // Right before the check: another process cancels the drop.
      store.beforeRead = () => undefined;
      store.gated = false;
      await other.execute(STREAM, { type: 'CancelDrop', dropId: DROP, reason: 'recall', now: NOW }, context, () => undefined);
    };

    const { answered, settled } = placeAll(writer, 256);
    await until(() => store.appends.length === 1 && decided.length === 256, 'the first append and the second round decided');
    store.appends[0].release();
    const results = await settled;

    // The check read from right after the first round (its 128 pre-orders and the sell-out), before
    // the other process's append; the second round was decided again, after it.
    expect(verification).toMatchObject({ fromRevision: storedAtCheck, maxCount: 1 });
    expect(store.events.slice(storedAtCheck - 1).map((e) => e.type)).not.toContain('PreOrderPlaced');
    expect(decided.slice(256)).toEqual(customers(128, 256));
    expect(answered.slice(0, 128).sort()).toEqual(customers(0, 128).sort());
    expect(results.slice(0, 128).every((r) => r.status === 'fulfilled')).toBe(true);
    // Answered from the state after the cancellation, not the stale "sold out".
    const codes = new Set(results.slice(128).map((r) => ((r as PromiseRejectedResult).reason as DomainError).code));
    expect(codes.size).toBe(1);
    expect(codes).not.toContain('DROP.SOLD_OUT');
    // The first round and the other process's cancellation: the second round appended nothing.
    expect(store.appends).toHaveLength(2);
    await writer.close();
  });

  it('gives up a cached state a catch-up could not finish: once the bad event is repaired, nothing is applied twice', async () => {
    const store = new GatedStore();
    const { writer } = recordingWriter(store);
    await openDrop(writer, 1000);
    await placeAll(writer, 3).settled;
    // Another process places one more, then writes an event of a newer schema behind it.
    const other = recordingWriter(store).writer;
    await placeAll(other, 1, 'other').settled;
    const [placed] = store.events.slice(-1);
    store.write(STREAM, [{ ...placed, eventId: 'bad', schemaVersion: 99 }], store.events.length - 1);
    for (let i = 0; i < 3; i++) await expect(writer.load(STREAM)).rejects.toMatchObject({ code: 'STREAM.UNREADABLE_EVENT' });
    // Repaired by hand (the row deleted): the state read is the stream's, not one with the catch-up's events twice.
    store.events.pop();
    const { state } = await writer.load(STREAM);
    const fresh = (await recordingWriter(store).writer.load(STREAM)).state;
    expect(state.status === 'open' && state.acceptance.length).toBe(4);
    expect(fresh.status === 'open' && fresh.acceptance.length).toBe(4);
    await writer.close();
    await other.close();
  });

  it('keeps a small queue whole', async () => {
    const store = new GatedStore();
    const { writer } = recordingWriter(store);
    await openDrop(writer, 1000);
    const before = store.appends.length;
    const results = await placeAll(writer, 127).settled;
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(store.appends.slice(before).map((a) => a.events)).toEqual([127]);
    await writer.close();
  });
});
