import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { dropDecider, DropCommand, DropEvent, DropState, dropStreamName, EVENT_SCHEMA_VERSIONS, upcast } from '@dropline/domain';
import { AggregateWriter, CommandContext, CommandOutcome, EventSchema, RememberedEvents } from '@dropline/event-sourcing';
import type { EventStore } from '@dropline/event-store';
import type { AppConfig } from '@dropline/platform';
import { APP_CONFIG, EVENT_STORE } from '@dropline/platform';

/** Stored type names and their current versions, plus the upcasters of older ones. */
export const dropEventSchema: EventSchema = {
  versionOf: (type) => (EVENT_SCHEMA_VERSIONS as Record<string, number>)[type] ?? 1,
  upcast: (type, version, data) => upcast(type, version, data),
};

/**
 * Drop events the writer remembers per drop (id and correlation of the last of each type), so the
 * scheduler's commands name the event they react to as their cause: the DropScheduled/DropRevised
 * that set a time, the DropCancelled refunds are requested for, the last hand-over or refund a
 * completion waited for.
 */
export const DROP_CAUSE_TYPES = [
  'DropScheduled',
  'DropRevised',
  'DropCancelled',
  'ProductionRunCompleted',
  'ShipmentDelivered',
  'PreOrderPickedUp',
  'ReturnReceived',
  'ReturnRefunded',
  'PaymentRefunded',
] as const;

/**
 * The engine's single path for drop commands: the per-stream batching writer over the
 * Drop decider. Every command handler goes through `execute`.
 */
@Injectable()
export class DropWriter implements OnApplicationShutdown {
  private readonly writer: AggregateWriter<DropState, DropCommand, DropEvent>;

  constructor(@Inject(EVENT_STORE) store: EventStore, @Inject(APP_CONFIG) config: AppConfig) {
    this.writer = new AggregateWriter(store, dropDecider, dropEventSchema, {
      maxBatchSize: config.commandBatchSize,
      rememberTypes: DROP_CAUSE_TYPES,
    });
  }

  /** Decides and appends one command on its drop's stream; `answer` reads the state right after its events. */
  execute<R>(
    command: DropCommand,
    context: CommandContext,
    answer: (state: DropState, events: DropEvent[]) => R,
  ): Promise<CommandOutcome<DropEvent, R>> {
    return this.writer.execute(dropStreamName(command.dropId), command, context, answer);
  }

  /** Current state of a drop (for reads that need the decider's view, e.g. GET /drops/:id), with its DROP_CAUSE_TYPES events. */
  load(dropId: string): Promise<{ state: DropState; revision: number; remembered: RememberedEvents }> {
    return this.writer.load(dropStreamName(dropId));
  }

  /** The status of a drop whose state is cached here, without IO; undefined when not cached. */
  cachedStatus(dropId: string): DropState['status'] | undefined {
    return this.writer.cachedState(dropStreamName(dropId))?.status;
  }

  /** The cached state of a drop, without IO (read it, never evolve it); undefined when not cached. */
  cachedState(dropId: string): DropState | undefined {
    return this.writer.cachedState(dropStreamName(dropId));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.writer.close();
  }
}
