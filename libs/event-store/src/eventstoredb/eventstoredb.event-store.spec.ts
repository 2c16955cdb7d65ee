import { PassThrough, Readable } from 'node:stream';
import type { AllStreamResolvedEvent, Position, ReadAllOptions, ReadStreamOptions } from '@eventstore/db-client';
import { StoreUnavailableError } from '../event-store.port';
import { StreamDeletedError, StreamTruncatedError } from '../stream-gone.errors';
import { EventStoreDbEventStore, type EsdbClient, type EventStoreDbEventStoreOptions } from './eventstoredb.event-store';
import { formatEsdbPosition, toEsdbEvent } from './eventstoredb.mapping';

/*
 * The adapter's logic over fakes of the client (no EventStoreDB server runs here): a counting
 * fake that serves `$all` as the server does (fromPosition inclusive, maxCount raw entries,
 * system and link events included), and fakes that stall or fail the way the client does.
 */

interface Entry {
  streamId: string;
  type: string;
  revision: bigint;
  position: Position;
}

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

function resolved(entry: Entry): AllStreamResolvedEvent {
  const envelope = toEsdbEvent({
    eventId: `00000000-0000-4000-8000-${String(entry.position.commit).padStart(12, '0')}`,
    type: entry.type,
    schemaVersion: 1,
    data: { n: Number(entry.position.commit) },
    metadata: { correlationId: 'c', causationId: null, actor: 'test', occurredAt: '2026-01-01T00:00:00.000Z', traceparent: '' },
  });
  return {
    event: {
      streamId: entry.streamId,
      id: envelope.id,
      revision: entry.revision,
      type: entry.type,
      created: new Date('2026-01-01T00:00:00.000Z'),
      isJson: true,
      data: envelope.data,
      metadata: envelope.metadata,
      position: entry.position,
    },
  } as unknown as AllStreamResolvedEvent;
}

function readable<T>(items: T[]): Readable & { cancel(): Promise<void> } {
  const stream = Readable.from(items) as Readable & { cancel(): Promise<void> };
  stream.cancel = async () => void stream.destroy();
  return stream;
}

/** Never sends anything (a hung server, or a partition the TCP stack has not noticed yet). */
function stalled(): PassThrough & { cancel(): Promise<void>; unsubscribe(): Promise<void> } {
  const stream = new PassThrough({ objectMode: true }) as PassThrough & { cancel(): Promise<void>; unsubscribe(): Promise<void> };
  stream.cancel = async () => void stream.destroy();
  stream.unsubscribe = stream.cancel;
  return stream;
}

/** Fails like the client does when it cannot discover a node (a plain Error, no `type`). */
function failing(error: Error): Readable & { cancel(): Promise<void> } {
  const stream = new Readable({
    objectMode: true,
    read() {
      this.destroy(error);
    },
  }) as Readable & { cancel(): Promise<void> };
  stream.cancel = async () => undefined;
  return stream;
}

/** An in-memory `$all` and streams behind the client's interface, counting round trips. */
class CountingClient {
  readonly log: Entry[] = [];
  readonly reads: Array<{ fromPosition: string; maxCount: number }> = [];
  private commit = 100n;

  add(streamId: string, type: string, count = 1): Entry[] {
    const added: Entry[] = [];
    for (let i = 0; i < count; i++) {
      const revision = BigInt(this.log.filter((e) => e.streamId === streamId).length);
      this.commit += 37n;
      const entry = { streamId, type, revision, position: { commit: this.commit, prepare: this.commit } };
      this.log.push(entry);
      added.push(entry);
    }
    return added;
  }

  /** `count` entries of what `$all` really holds besides Dropline's events: stats, settings and projection links. */
  addNoise(count: number): void {
    for (let i = 0; i < count; i++) {
      if (i % 3 === 0) this.add('$stats-127.0.0.1:2113', '$statsCollected');
      else if (i % 3 === 1) this.add('$ce-visits', '$>');
      else this.add(`visits-d${i}`, 'StorefrontVisited');
    }
  }

  readAll(options: ReadAllOptions = {}) {
    const from = options.fromPosition;
    const maxCount = Number(options.maxCount);
    this.reads.push({ fromPosition: typeof from === 'object' ? formatEsdbPosition(from) : String(from), maxCount });
    const start =
      typeof from === 'object'
        ? this.log.findIndex((e) => e.position.commit >= from.commit) // inclusive, as the server reads it
        : 0;
    const items = start < 0 ? [] : this.log.slice(start, start + maxCount).map(resolved);
    return readable(items);
  }

  readStream(streamName: string, options: ReadStreamOptions = {}) {
    let events = this.log.filter((e) => e.streamId === streamName);
    if (options.direction === 'backwards') events = [...events].reverse();
    if (typeof options.fromRevision === 'bigint') {
      const from = options.fromRevision;
      events = events.filter((e) => (options.direction === 'backwards' ? e.revision <= from : e.revision >= from));
    }
    if (options.maxCount !== undefined) events = events.slice(0, Number(options.maxCount));
    return readable(events.map(resolved));
  }

  async dispose(): Promise<void> {}
}

function storeOver(client: object, options: EventStoreDbEventStoreOptions = {}): EventStoreDbEventStore {
  return new EventStoreDbEventStore(client as EsdbClient, { logger: silent, ...options });
}

describe('EventStoreDB adapter: reads of $all', () => {
  it('reads past N non-matching events in at most N / page size + 1 round trips, whatever maxCount is', async () => {
    const client = new CountingClient();
    const N = 2550;
    client.addNoise(N);
    const store = storeOver(client, { readPageSize: 100 });
    let position: string | undefined;
    let calls = 0;
    for (;;) {
      const page = await store.readAll({ fromPosition: position, maxCount: 1, filter: { streamPrefixes: ['drop-'] } });
      expect(page.events).toEqual([]);
      calls++;
      position = page.position;
      if (page.isEnd) break;
    }
    expect(client.reads.length).toBeLessThanOrEqual(N / 100 + 1);
    // Every read asked for a full page, not for the one match wanted.
    expect(client.reads.every((r) => r.maxCount >= 100)).toBe(true);
    // A call returns after a bounded scan (empty, not at the end) so its caller can store progress.
    expect(calls).toBeGreaterThan(1);
    expect(position).toBe(formatEsdbPosition(client.log.at(-1)!.position));
  });

  it('a poll that finds nothing new costs one round trip and starts past everything scanned before', async () => {
    const client = new CountingClient();
    const [wanted] = client.add('drop-a', 'DropOpened');
    client.addNoise(250);
    const store = storeOver(client, { readPageSize: 100 });
    const filter = { streamPrefixes: ['drop-'] };
    const first = await store.readAll({ maxCount: 10, filter });
    expect(first.events.map((e) => e.position)).toEqual([formatEsdbPosition(wanted.position)]);
    expect(first.isEnd).toBe(true);
    const lastScanned = formatEsdbPosition(client.log.at(-1)!.position);
    expect(first.position).toBe(lastScanned);

    client.reads.length = 0;
    const idle = await store.readAll({ fromPosition: first.position, maxCount: 10, filter });
    expect(idle).toEqual({ events: [], position: lastScanned, isEnd: true });
    expect(client.reads).toEqual([{ fromPosition: lastScanned, maxCount: 101 }]);

    // New events of other streams: still one round trip, and the position moves past them.
    client.addNoise(5);
    client.reads.length = 0;
    const after = await store.readAll({ fromPosition: idle.position, maxCount: 10, filter });
    expect(after).toEqual({ events: [], position: formatEsdbPosition(client.log.at(-1)!.position), isEnd: true });
    expect(client.reads).toHaveLength(1);
  });

  it('stops at maxCount on the last match and resumes after it, in order, without repeats', async () => {
    const client = new CountingClient();
    for (let i = 0; i < 10; i++) {
      client.add(`drop-${i % 3}`, 'PreOrderPlaced');
      client.addNoise(7);
    }
    const store = storeOver(client, { readPageSize: 16 });
    const seen: number[] = [];
    let position: string | undefined;
    for (;;) {
      const page = await store.readAll({ fromPosition: position, maxCount: 3, filter: { eventTypes: ['PreOrderPlaced'] } });
      if (page.events.length === 3) expect(page.position).toBe(page.events[2].position);
      seen.push(...page.events.map((e) => e.data.n as number));
      position = page.position;
      if (page.isEnd) break;
    }
    const expected = client.log.filter((e) => e.type === 'PreOrderPlaced').map((e) => Number(e.position.commit));
    expect(seen).toEqual(expected);
  });
});

describe('EventStoreDB adapter: countAfter', () => {
  it("counts Dropline's events after a position (not system or link events), in one round trip when caught up", async () => {
    const client = new CountingClient();
    client.add('drop-a', 'DropOpened', 3);
    const [mark] = client.add('drop-a', 'PreOrderPlaced');
    client.add('drop-b', 'DropOpened', 2);
    client.add('$stats-x', '$statsCollected', 4);
    client.add('$ce-drop', '$>', 4);
    const store = storeOver(client, { readPageSize: 100 });
    expect(await store.countAfter(undefined)).toBe(6);
    client.reads.length = 0;
    expect(await store.countAfter(formatEsdbPosition(mark.position))).toBe(2);
    expect(client.reads).toHaveLength(1);
    expect(await store.countAfter(formatEsdbPosition(client.log.at(-1)!.position))).toBe(0);
  });

  it('counts only what a filter passes (a reader counts what it would handle)', async () => {
    const client = new CountingClient();
    client.add('drop-a', 'DropOpened', 2);
    client.add('visits-a', 'VisitsRecorded', 7);
    client.add('drop-a', 'PreOrderPlaced', 1);
    const store = storeOver(client, { readPageSize: 100 });
    expect(await store.countAfter(undefined, { streamPrefixes: ['drop-'] })).toBe(3);
    expect(await store.countAfter(undefined, { streamPrefixes: ['drop-'], eventTypes: ['PreOrderPlaced'] })).toBe(1);
    expect(await store.countAfter(undefined, { streamPrefixes: ['visits-'] })).toBe(7);
  });

  it('stops counting at its limit', async () => {
    const client = new CountingClient();
    client.add('drop-a', 'PreOrderPlaced', 500);
    const store = storeOver(client, { readPageSize: 50, countLimit: 120 });
    expect(await store.countAfter(undefined)).toBe(120);
    expect(client.reads.length).toBeLessThanOrEqual(3);
  });
});

describe('EventStoreDB adapter: outages and lost streams', () => {
  const deadlineMs = 200;

  /** Asserts a StoreUnavailableError within the deadline (generously: this is not a speed test). */
  async function expectUnavailable(call: () => Promise<unknown>): Promise<void> {
    const started = Date.now();
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).code).toBe('STORE.UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(2000);
  }

  it('gives up on a server that sends nothing within the deadline: reads, appends, counts', async () => {
    const hung = {
      readAll: () => stalled(),
      readStream: () => stalled(),
      appendToStream: () => new Promise(() => undefined),
      dispose: async () => undefined,
    };
    const store = storeOver(hung, { deadlineMs });
    await expectUnavailable(() => store.readAll());
    await expectUnavailable(() => store.readStream('drop-a'));
    await expectUnavailable(() => store.appendToStream('drop-a', [], 'any'));
    await expectUnavailable(() => store.countAfter(undefined));
  });

  it('does not cut off a long read that keeps streaming', async () => {
    const client = new CountingClient();
    client.add('drop-a', 'PreOrderPlaced', 5);
    const slow = {
      ...client,
      readStream: (name: string) => {
        const out = stalled();
        const events = client.log.filter((e) => e.streamId === name).map(resolved);
        let i = 0;
        const timer = setInterval(() => {
          if (i < events.length) out.write(events[i++]);
          else {
            clearInterval(timer);
            out.end();
          }
        }, 80);
        return out;
      },
    };
    const store = storeOver(slow, { deadlineMs });
    expect((await store.readStream('drop-a')).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
  });

  it('maps a discovery failure, not-ready/too-busy and dropped connections to StoreUnavailableError', async () => {
    const discovery = new Error('Failed to discover after 10 attempts.');
    const store = storeOver(
      {
        readAll: () => failing(discovery),
        readStream: () => failing(Object.assign(new Error('14 UNAVAILABLE: No connection established'), { type: 'unavailable' })),
        appendToStream: () => Promise.reject(Object.assign(new Error('Could not recognize Server Is Too Busy'), { type: 'unknown' })),
        dispose: async () => undefined,
      },
      { deadlineMs },
    );
    await expectUnavailable(() => store.readAll());
    await expectUnavailable(() => store.countAfter(undefined));
    await expectUnavailable(() => store.readStream('drop-a'));
    await expectUnavailable(() => store.appendToStream('drop-a', [], 'any'));
    const discoveringAppend = storeOver({ appendToStream: () => Promise.reject(discovery) });
    await expectUnavailable(() => discoveringAppend.appendToStream('drop-a', [], 'any'));
  });

  it('maps a tombstoned stream to StreamDeletedError (STREAM.DELETED), on append and on read', async () => {
    const deleted = () => Object.assign(new Error('Event stream drop-a is deleted.'), { type: 'stream-deleted', streamName: 'drop-a' });
    const store = storeOver({
      appendToStream: () => Promise.reject(deleted()),
      readStream: () => failing(deleted()),
    });
    for (const call of [() => store.appendToStream('drop-a', [], 'any'), () => store.readStream('drop-a')]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StreamDeletedError);
      expect(error).toMatchObject({ code: 'STREAM.DELETED', streamName: 'drop-a' });
    }
  });

  it('refuses a stream whose first events are gone ($maxCount, $maxAge, soft delete) with StreamTruncatedError', async () => {
    const client = new CountingClient();
    client.add('drop-a', 'PreOrderPlaced', 6);
    // Revisions 0..2 truncated away: the stream now starts at 3.
    client.log.splice(0, 3);
    const store = storeOver(client);
    for (const options of [
      {},
      { fromRevision: 1 },
      { direction: 'backwards' as const },
      { direction: 'backwards' as const, maxCount: 10 },
    ]) {
      const error = await store.readStream('drop-a', options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StreamTruncatedError);
      expect(error).toMatchObject({ code: 'STREAM.TRUNCATED', streamName: 'drop-a', firstRevision: 3 });
    }
    // Reads that do not ask for the missing part are fine.
    expect((await store.readStream('drop-a', { fromRevision: 4 })).map((e) => e.revision)).toEqual([4, 5]);
    expect((await store.readStream('drop-a', { direction: 'backwards', maxCount: 2 })).map((e) => e.revision)).toEqual([5, 4]);
  });

  it('resubscribes when the server does not confirm a subscription within the deadline', async () => {
    const errors: unknown[] = [];
    let attempts = 0;
    const client = {
      subscribeToAll: () => {
        attempts++;
        return stalled();
      },
      dispose: async () => undefined,
    };
    const store = new EventStoreDbEventStore(client as unknown as EsdbClient, {
      deadlineMs,
      minRetryMs: 10,
      logger: { ...silent, error: (_message: string, error?: unknown) => void errors.push(error) },
    });
    const subscription = store.subscribeToAll({ filter: { eventTypes: ['DropOpened'] } });
    const iteration = (async () => {
      for await (const _event of subscription) break;
    })();
    const started = Date.now();
    while (attempts < 2 && Date.now() - started < 2000) await new Promise((resolve) => setTimeout(resolve, 20));
    await subscription.close();
    await iteration;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toBeInstanceOf(StoreUnavailableError);
  });
});
