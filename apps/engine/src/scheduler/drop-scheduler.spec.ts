import { dropStreamName } from '@dropline/domain';
import type { EventStore, ReadAllOptions, RecordedEvent } from '@dropline/event-store';
import { ProcessLease } from '@dropline/runtime';
import type { AppConfig, Clock, LeaseFactory } from '@dropline/platform';
import type { CommandBus } from '@nestjs/cqrs';
import type { DropWriter } from '../drops/drop-writer';
import { causeOf, DropScheduler, SCHEDULE_EVENTS } from './drop-scheduler';

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
 * The scheduler's index is a processor on the runtime: it replays its event types from the start
 * of the log on each lease takeover. It asks for its event types only: on EventStoreDB a read
 * filters on types or on stream prefixes, never both, and a `drop-` prefix pulled every
 * pre-order of every drop.
 */
describe('DropScheduler index', () => {
  it('reads by event type alone from the start of the log and looks only at drops named by the events it gets', async () => {
    const reads: ReadAllOptions[] = [];
    const log = [recorded(dropStreamName('d1'), 'DropScheduled'), recorded('return-r1', 'ReturnReceived')];
    const store = {
      readAll: async (options: ReadAllOptions) => {
        reads.push(options);
        const events = options.fromPosition === undefined ? log : [];
        return { events, position: '1:1', isEnd: true };
      },
    } as unknown as EventStore;
    const lease = new ProcessLease('scheduler', {});
    const loaded: string[] = [];
    const drops = {
      load: async (dropId: string) => {
        loaded.push(dropId);
        return { state: { status: 'initial' } };
      },
    } as unknown as DropWriter;
    const clock = { now: () => new Date('2026-01-01T00:00:00.000Z') } as Clock;
    const scheduler = new DropScheduler(
      { run: { scheduler: true }, schedulerIntervalMs: 60_000 } as AppConfig,
      store,
      { create: () => lease } as unknown as LeaseFactory,
      {} as CommandBus,
      drops,
      clock,
    );
    scheduler.onApplicationBootstrap();
    for (let i = 0; i < 200 && scheduler.status()?.state !== 'caught-up'; i++) await new Promise((r) => setTimeout(r, 5));
    expect(reads[0]).toEqual({ fromPosition: undefined, maxCount: 1000, filter: { eventTypes: SCHEDULE_EVENTS } });
    await scheduler.tick();
    expect(loaded).toContain('d1');
    expect(loaded).not.toContain('r1');
    await scheduler.onApplicationShutdown();
    expect(lease.held).toBe(false);
  });
});

describe('causeOf', () => {
  const scheduled = { eventId: 'e-scheduled', correlationId: 'c-1', revision: 0 };
  const revised = { eventId: 'e-revised', correlationId: 'c-2', revision: 3 };
  const cancelled = { eventId: 'e-cancelled', correlationId: 'c-3', revision: 5 };
  const phase = { type: 'OpenAccessPhase' as const, dropId: 'd1', now: '2026-11-29T10:00:00Z', phase: 'members' };

  it('names the definition that set the time of an access phase: the DropRevised when the drop was revised, else the DropScheduled', () => {
    expect(causeOf(phase, { DropScheduled: scheduled })).toBe(scheduled);
    expect(causeOf(phase, { DropScheduled: scheduled, DropRevised: revised })).toBe(revised);
    // A later cancellation is not what opened the phase (the decider refuses it then anyway).
    expect(causeOf(phase, { DropScheduled: scheduled, DropCancelled: cancelled })).toBe(scheduled);
  });

  it('names the DropCancelled for refunds', () => {
    expect(
      causeOf({ type: 'RequestRefunds', dropId: 'd1', now: 'x', maxCount: 10 }, { DropScheduled: scheduled, DropCancelled: cancelled }),
    ).toBe(cancelled);
  });
});
