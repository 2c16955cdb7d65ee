import type { EventStoreDBClient } from '@eventstore/db-client';
import { DomainError, dropDecider, DropCommand, DropEvent, DropState } from '@dropline/domain';
import { AppendTooLargeError } from '@dropline/event-store';
import { EventStoreDbEventStore } from '@dropline/event-store/eventstoredb';
import { AggregateWriter } from './aggregate-writer';
import { dropEventSchema } from './testing/drop-event-schema';
import { maxDropId, MIB, NOW, openMaximalDrop, placeMaximal } from './testing/maximal-pre-order';

/*
 * The writer over the EventStoreDB adapter, against a fake server that enforces MaxAppendSize the
 * way EventStoreDB 25.0+ does (Streams.Append.cs: Event.SizeOnDisk summed over the append). No
 * server can run here; the fake measures what the client was handed, not the adapter's arithmetic.
 */

const schema = dropEventSchema;

interface WireEvent {
  id: string;
  type: string;
  data: unknown;
  metadata: unknown;
}

interface StoredEvent {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  created: Date;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  position: { commit: bigint; prepare: bigint };
}

/** One-node EventStoreDB stand-in: expected revisions, MaxAppendSize, forward stream reads. */
class FakeEsdbServer {
  readonly appends: Array<{ events: number; size: number; refused: boolean }> = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private commit = 0n;

  constructor(readonly maxAppendSize: number) {}

  /** Event.SizeOnDisk over the bytes the client sends: UTF-8 JSON of data and metadata, 2 bytes per UTF-16 unit of the type. */
  static sizeOnDisk(event: WireEvent): number {
    return (
      Buffer.from(JSON.stringify(event.data), 'utf8').length +
      Buffer.from(JSON.stringify(event.metadata), 'utf8').length +
      event.type.length * 2
    );
  }

  readonly client = {
    appendToStream: async (streamName: string, events: WireEvent[], options: { expectedRevision: unknown }) => {
      const size = events.reduce((sum, e) => sum + FakeEsdbServer.sizeOnDisk(e), 0);
      const refused = size > this.maxAppendSize;
      this.appends.push({ events: events.length, size, refused });
      if (refused) {
        throw Object.assign(new Error(`Maximum append size of ${this.maxAppendSize} exceeded.`), {
          type: 'maximum-append-size-exceeded',
          maxAppendSize: this.maxAppendSize,
        });
      }
      const stream = this.streams.get(streamName) ?? [];
      const actual = BigInt(stream.length - 1);
      const expected = options.expectedRevision;
      if (expected !== 'any' && (expected === 'no_stream' ? actual !== -1n : expected !== actual)) {
        throw Object.assign(new Error('wrong expected version'), { type: 'wrong-expected-version', actualVersion: actual });
      }
      for (const e of events) {
        this.commit += 1n;
        stream.push({
          streamId: streamName,
          id: e.id,
          revision: BigInt(stream.length),
          type: e.type,
          created: new Date(NOW),
          isJson: true,
          // Stored as sent, read back as the client would parse it.
          data: JSON.parse(JSON.stringify(e.data)),
          metadata: JSON.parse(JSON.stringify(e.metadata)),
          position: { commit: this.commit, prepare: this.commit },
        });
      }
      this.streams.set(streamName, stream);
      const last = stream[stream.length - 1];
      return { success: true, nextExpectedRevision: last.revision, position: last.position };
    },
    readStream: (streamName: string, options: { fromRevision: unknown; maxCount?: number }) => {
      const stream = this.streams.get(streamName);
      const from = typeof options.fromRevision === 'bigint' ? Number(options.fromRevision) : 0;
      const page = (stream ?? []).slice(from, options.maxCount === undefined ? undefined : from + options.maxCount);
      return (async function* () {
        if (!stream) throw Object.assign(new Error(`${streamName} not found`), { type: 'stream-not-found' });
        for (const event of page) yield { event };
      })();
    },
    dispose: async () => undefined,
  };

  storeBelieving(maxAppendBytes: number): EventStoreDbEventStore {
    return new EventStoreDbEventStore(this.client as unknown as EventStoreDBClient, { maxAppendBytes });
  }
}

type Writer = AggregateWriter<DropState, DropCommand, DropEvent>;

const DROP_ID = maxDropId('esdb');

async function placeAll(writer: Writer, count: number) {
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => placeMaximal(writer, DROP_ID, i)));
  return {
    accepted: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    rejected: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as DomainError] : [])),
  };
}

describe('AggregateWriter on the EventStoreDB adapter, against MaxAppendSize', () => {
  it('appends a 1,000-command batch of maximal pre-orders in parts the server takes (default 1 MiB), sharing the cap', async () => {
    const server = new FakeEsdbServer(MIB);
    const writer: Writer = new AggregateWriter(server.storeBelieving(MIB), dropDecider, schema);
    await openMaximalDrop(writer, DROP_ID, 900);
    server.appends.length = 0;

    const { accepted, rejected } = await placeAll(writer, 1000);

    expect(accepted).toHaveLength(900);
    expect(rejected.map((r) => r.code)).toEqual(Array(100).fill('DROP.SOLD_OUT'));
    // One batch: more than the server takes at once, cut before sending, so the server refused nothing.
    expect(server.appends.reduce((sum, a) => sum + a.size, 0)).toBeGreaterThan(MIB);
    expect(server.appends.length).toBeGreaterThan(1);
    expect(server.appends.filter((a) => a.refused)).toEqual([]);
    expect(server.appends.reduce((sum, a) => sum + a.events, 0)).toBe(902); // 900 placed + VariantSoldOut + DropSoldOut
    expect(accepted.map((a) => a.answer.unitPrice).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 900 }, (_, n) => (n < 100 ? 1000 : n < 200 ? 2000 : 3000)),
    );
    console.log(`[esdb] 1,000 maximal pre-orders: appends of ${server.appends.map((a) => `${a.events} events/${a.size} B`).join(', ')}`);
  });

  it('halves a part the server refuses when its MaxAppendSize is below the configured limit, answering every caller', async () => {
    const server = new FakeEsdbServer(256 * 1024);
    const writer: Writer = new AggregateWriter(server.storeBelieving(MIB), dropDecider, schema);
    await openMaximalDrop(writer, DROP_ID, 1000);
    server.appends.length = 0;

    const { accepted, rejected } = await placeAll(writer, 600);

    expect(rejected).toEqual([]);
    expect(accepted).toHaveLength(600);
    expect(server.appends.some((a) => a.refused)).toBe(true);
    for (const a of server.appends.filter((x) => !x.refused)) expect(a.size).toBeLessThanOrEqual(256 * 1024);
    expect(server.appends.filter((a) => !a.refused).reduce((sum, a) => sum + a.events, 0)).toBe(600);
  });

  it('refuses an append over maxAppendBytes before sending it, and maps the server refusal to STORE.APPEND_TOO_LARGE', async () => {
    const server = new FakeEsdbServer(64 * 1024);
    const event = (blob: string) => ({
      eventId: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d',
      type: 'Big',
      schemaVersion: 1,
      data: { blob },
      metadata: { correlationId: 'c', causationId: null, actor: 'a', occurredAt: NOW, traceparent: 't' },
    });
    const store = server.storeBelieving(128 * 1024);
    const tooBig = [event('x'.repeat(130 * 1024))];
    expect(store.appendSize(tooBig)).toBeGreaterThan(128 * 1024);
    await expect(store.appendToStream('big-1', tooBig, 'no_stream')).rejects.toBeInstanceOf(AppendTooLargeError);
    expect(server.appends).toEqual([]);

    const overServer = [event('x'.repeat(100 * 1024))];
    await expect(store.appendToStream('big-2', overServer, 'no_stream')).rejects.toMatchObject({
      code: 'STORE.APPEND_TOO_LARGE',
      maxAppendBytes: 64 * 1024,
    });
    expect(server.appends).toHaveLength(1);
    // The adapter measures exactly what the server counts.
    expect(store.appendSize(overServer)).toBe(server.appends[0].size);
  });
});
