import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { dropDecider, DropCommand, DropEvent, DropState, dropStreamName, EVENT_SCHEMA_VERSIONS, upcast } from '@dropline/domain';
import { AggregateWriter, CommandContext, CommandOutcome, EventSchema, RememberedEvents } from '@dropline/event-sourcing';
import type { EventStore } from '@dropline/event-store';
import type { AppConfig } from '@dropline/platform';
import { APP_CONFIG, CommandOutcomeLabel, EVENT_STORE, Metrics } from '@dropline/platform';

/** Stored type names and their current versions, plus the upcasters of older ones. */
export const dropEventSchema: EventSchema = {
  versionOf: (type) => (EVENT_SCHEMA_VERSIONS as Record<string, number>)[type] ?? 1,
  upcast: (type, version, data) => upcast(type, version, data),
};

const ACCEPTED: CommandOutcomeLabel = { outcome: 'accepted' };

/** The stable code of a rejection (domain errors, writer errors), `UNKNOWN` for anything else. */
function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

function isOpen(status: DropState['status'] | undefined): boolean {
  return status === 'open' || status === 'early-access';
}

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
  private readonly stopCollecting: (() => void) | undefined;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() private readonly metrics?: Metrics,
  ) {
    this.writer = new AggregateWriter(store, dropDecider, dropEventSchema, {
      maxBatchSize: config.commandBatchSize,
      observer: metrics?.writer,
      rememberTypes: DROP_CAUSE_TYPES,
    });
    this.stopCollecting = metrics?.onCollect(() => metrics.openDrops(this.openDrops()));
  }

  /** Decides and appends one command on its drop's stream; `answer` reads the state right after its events. */
  execute<R>(
    command: DropCommand,
    context: CommandContext,
    answer: (state: DropState, events: DropEvent[]) => R,
  ): Promise<CommandOutcome<DropEvent, R>> {
    const pending = this.writer.execute(dropStreamName(command.dropId), command, context, answer);
    return this.metrics ? this.measured(this.metrics, command, pending) : pending;
  }

  /**
   * Counts the command by type and outcome and times it; a pre-order on an open drop also counts under
   * its drop. One `then` rather than an async function with try/finally: one promise fewer per command.
   */
  private measured<T>(metrics: Metrics, command: DropCommand, pending: Promise<T>): Promise<T> {
    const started = performance.now();
    return pending.then(
      (result) => {
        this.count(metrics, command, ACCEPTED, started);
        return result;
      },
      (e: unknown) => {
        this.count(metrics, command, { outcome: 'rejected', code: errorCode(e) }, started);
        throw e;
      },
    );
  }

  private count(metrics: Metrics, command: DropCommand, outcome: CommandOutcomeLabel, started: number): void {
    metrics.command(command.type, outcome, (performance.now() - started) / 1000);
    if (command.type === 'PlacePreOrder' && isOpen(this.cachedStatus(command.dropId))) metrics.preOrderOnOpenDrop(command.dropId, outcome);
  }

  /** Sell-through of the drops open (or in early access) among the cached ones, for the scrape. */
  private openDrops(): Array<{ dropId: string; sold: number; cap: number }> {
    const open: Array<{ dropId: string; sold: number; cap: number }> = [];
    for (const [, state] of this.writer.cachedStates()) {
      if (state.status !== 'open' && state.status !== 'early-access') continue;
      let cap = 0;
      for (const sku of state.skus.values()) cap += sku.cap;
      open.push({ dropId: state.dropId, sold: state.netUnits, cap });
    }
    return open;
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
    this.stopCollecting?.();
    await this.writer.close();
  }
}
