import { PassThrough } from 'node:stream';
import { dropStreamName } from '@dropline/domain';
import type { EventStore, RecordedEvent, SubscribeOptions, Subscription } from '@dropline/event-store';
import type { AppConfig, Clock, LeaseFactory } from '@dropline/platform';
import type { CommandBus } from '@nestjs/cqrs';
import type { DropWriter } from '../drops/drop-writer';
import { DropScheduler, SCHEDULE_EVENTS } from './drop-scheduler';

function recorded(streamName: string, type: string): RecordedEvent {
  return {
    eventId: `${streamName}-${type}`,
    type,
    schemaVersion: 1,
    data: {},
    metadata: { correlationId: 'c', causationId: null, actor: 'test', occurredAt: '2026-01-01T00:00:00.000Z', traceparent: '' },
    streamName,
    revision: 0,
    position: '1:1',
    recordedAt: '2026-01-01T00:00:00.000Z',
  };
}

/**
 * The scheduler rebuilds its index of drops from a subscription on each lease takeover. It asks
 * for its event types only: on EventStoreDB a subscription filters on types or on stream
 * prefixes, never both, and the old `drop-` prefix pulled every pre-order of every drop.
 */
describe('DropScheduler subscription', () => {
  it('subscribes by event type alone and looks only at drops named by the events it gets', async () => {
    const feed = new PassThrough({ objectMode: true });
    const subscribed: SubscribeOptions[] = [];
    const store = {
      subscribeToAll: (options: SubscribeOptions) => {
        subscribed.push(options);
        return Object.assign(feed, { close: async () => void feed.end() }) as unknown as Subscription;
      },
    } as unknown as EventStore;
    const lease = { held: true, tryAcquire: async () => true, release: async () => undefined };
    const loaded: string[] = [];
    const drops = {
      load: async (dropId: string) => {
        loaded.push(dropId);
        return { state: { status: 'initial' } };
      },
    } as unknown as DropWriter;
    const clock = { now: () => new Date('2026-01-01T00:00:00.000Z') } as Clock;
    const scheduler = new DropScheduler(
      { run: { scheduler: true }, schedulerIntervalMs: 1000 } as AppConfig,
      store,
      { create: () => lease } as unknown as LeaseFactory,
      {} as CommandBus,
      drops,
      clock,
    );
    (scheduler as unknown as { lease: typeof lease }).lease = lease;

    await scheduler.tick();
    expect(subscribed).toEqual([{ filter: { eventTypes: SCHEDULE_EVENTS } }]);
    feed.write(recorded(dropStreamName('d1'), 'DropScheduled'));
    feed.write(recorded('return-r1', 'ReturnReceived'));
    await new Promise((resolve) => setImmediate(resolve));
    await scheduler.tick();
    expect(loaded).toEqual(['d1']);
    await scheduler.onApplicationShutdown();
  });
});
