import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DropCommand, dropIdFromStreamName, dueCommands, nextDueAt } from '@dropline/domain';
import type { CommandContext, EventRef, RememberedEvents } from '@dropline/event-sourcing';
import type { EventStore } from '@dropline/event-store';
import { Supervisor, type Lease, type Processor } from '@dropline/runtime';
import type { AppConfig } from '@dropline/platform';
import { APP_CONFIG, Clock, EVENT_STORE, LeaseFactory, systemContext } from '@dropline/platform';
import { CancelDropCommand } from '../drops/cancel-drop/cancel-drop.command';
import { ClosePreOrderWindowCommand } from '../drops/close-pre-order-window/close-pre-order-window.command';
import { CompleteDropCommand } from '../drops/complete-drop/complete-drop.command';
import { OpenAccessPhaseCommand } from '../drops/open-access-phase/open-access-phase.command';
import { OpenPreOrderWindowCommand } from '../drops/open-pre-order-window/open-pre-order-window.command';
import { RequestRefundsCommand } from '../drops/request-refunds/request-refunds.command';
import { DropWriter } from '../drops/drop-writer';

/** Events after which a drop's due transitions may have changed. */
export const SCHEDULE_EVENTS = [
  'DropScheduled',
  'DropRevised',
  'EarlyAccessOpened',
  'AccessPhaseOpened',
  'PreOrderWindowOpened',
  'PreOrderWindowClosed',
  'DropCancelled',
  'ProductionRunCompleted',
  'ShipmentDelivered',
  'PreOrderPickedUp',
  'ReturnReceived',
  'ReturnRefunded',
  'PaymentRefunded',
];

/** The latest (highest revision) of the remembered events of these types. */
function latest(remembered: RememberedEvents, types: readonly string[]): EventRef | undefined {
  let best: EventRef | undefined;
  for (const type of types) {
    const ref = remembered[type];
    if (ref && (!best || ref.revision > best.revision)) best = ref;
  }
  return best;
}

/** Events whose hand-over, return or refund a completion waited for (completionBlocker). */
const COMPLETION_CAUSES = [
  'ProductionRunCompleted',
  'ShipmentDelivered',
  'PreOrderPickedUp',
  'ReturnReceived',
  'ReturnRefunded',
  'PaymentRefunded',
];

/**
 * The event a due command reacts to, named as its causation (its correlation id is kept): a timed
 * transition (an access phase opening, the window opening or closing) names the latest
 * DropScheduled/DropRevised, whose definition set the time; refunds name the DropCancelled; a
 * completion names the last event it waited for (else the definition).
 */
export function causeOf(command: DropCommand, remembered: RememberedEvents): EventRef | undefined {
  const definition = latest(remembered, ['DropScheduled', 'DropRevised']);
  switch (command.type) {
    case 'OpenAccessPhase':
    case 'OpenPreOrderWindow':
    case 'ClosePreOrderWindow':
      return definition;
    case 'RequestRefunds':
      return remembered.DropCancelled ?? definition;
    case 'CompleteDrop':
      return latest(remembered, COMPLETION_CAUSES) ?? definition;
    default:
      return definition;
  }
}

/** The slice's command message for a due lifecycle command (`dueCommands` derives only these). */
export function lifecycleMessage(command: DropCommand, context: CommandContext) {
  switch (command.type) {
    case 'OpenAccessPhase':
      return new OpenAccessPhaseCommand(command, context);
    case 'OpenPreOrderWindow':
      return new OpenPreOrderWindowCommand(command, context);
    case 'ClosePreOrderWindow':
      return new ClosePreOrderWindowCommand(command, context);
    case 'CancelDrop':
      return new CancelDropCommand(command, context);
    case 'RequestRefunds':
      return new RequestRefundsCommand(command, context);
    case 'CompleteDrop':
      return new CompleteDropCommand(command, context);
    default:
      throw new Error(`the scheduler has no slice for ${command.type}`);
  }
}

/**
 * The durable scheduler: opens and closes windows, asks for refunds of cancelled drops
 * and completes finished ones. It keeps no timers of its own that matter: its index of
 * drops is an in-memory processor on the runtime (`scheduler`, no checkpoint) that replays the
 * drops' lifecycle events from the start of the log whenever it takes the lease, and every due
 * command is derived from the drop's stored state (`dueCommands`), so a restart — or a failover
 * to another instance — picks up exactly where the log says things stand. It looks at the lease
 * before each command.
 */
@Injectable()
export class DropScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Scheduler');
  /** dropId → epoch ms at which to look at the drop again. */
  private readonly checkAt = new Map<string, number>();
  private lease: Lease | undefined;
  private supervisor: Supervisor | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly leases: LeaseFactory,
    private readonly commands: CommandBus,
    private readonly drops: DropWriter,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.run.scheduler) return;
    this.lease = this.leases.create('scheduler');
    this.supervisor = new Supervisor({ store: this.store, logger: this.logger }).add(this.index(), this.lease);
    this.supervisor.start();
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await this.supervisor?.stop();
  }

  /** The index's supervised state (restarts, last error) where it runs. */
  status() {
    return this.supervisor?.statusOf('scheduler');
  }

  /** Runs one scheduling pass now (tests drive time with a manual clock); only while this instance holds the lease. */
  async tick(): Promise<void> {
    if (!this.lease?.held) return;
    const now = this.clock.now().getTime();
    for (const [dropId, at] of [...this.checkAt]) {
      if (this.stopped || !this.lease.held) return;
      if (at <= now) await this.check(dropId);
    }
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((e) => this.logger.warn(`scheduling pass failed: ${String(e)}`))
        .finally(() => this.schedule(this.config.schedulerIntervalMs));
    }, delay);
    this.timer.unref?.();
  }

  /**
   * The index as a processor: replays drop lifecycle events from the start of the log on each
   * takeover (no checkpoint: the index lives in memory). The filter names event types only: they
   * are rare, and PostgreSQL filters them in the read's statement (on EventStoreDB `readAll` scans
   * raw `$all` pages and filters them in the adapter, so a takeover reads the whole log once).
   * Events of these types in other streams are ignored.
   */
  private index(): Processor {
    return {
      name: 'scheduler',
      filter: { eventTypes: SCHEDULE_EVENTS },
      pageSize: 1_000,
      start: async () => {
        this.checkAt.clear();
        return undefined;
      },
      handle: async (page) => {
        for (const event of page.events) {
          const dropId = dropIdFromStreamName(event.streamName);
          if (dropId) this.checkAt.set(dropId, 0);
        }
      },
      stopped: () => this.checkAt.clear(),
    };
  }

  private async check(dropId: string): Promise<void> {
    try {
      // Refund chunks loop here; the bound only guards against a decider that never settles.
      for (let i = 0; i < 10_000 && !this.stopped; i++) {
        const now = this.clock.now().toISOString();
        const { state, remembered } = await this.drops.load(dropId);
        const due = dueCommands(state, now);
        if (due.length === 0) {
          const next = nextDueAt(state);
          const cancelledPending = state.status === 'cancelled' && state.pendingRefunds > 0;
          this.checkAt.set(dropId, cancelledPending ? 0 : next === undefined ? Number.POSITIVE_INFINITY : Date.parse(next));
          return;
        }
        for (const command of due) {
          // Fencing: a scheduler paused past its lease expiry sees it here and sends nothing more.
          // What it sends is safe anyway: each command is decided on the drop's state loaded just
          // above (caught up with its stream) and appended with that stream's expected revision; a
          // conflict makes the writer reload and decide again, and the decider refuses a transition
          // the state already holds. So a command raced by the new holder records nothing twice.
          if (!this.lease?.held) return;
          const cause = causeOf(command, remembered) ?? null;
          await this.commands.execute(lifecycleMessage(command, systemContext('scheduler', this.clock, cause)));
          this.logger.log(`${command.type} for drop ${dropId}`);
        }
      }
    } catch (e) {
      // Leave it due: the next pass tries again.
      this.logger.warn(`drop ${dropId}: ${String(e)}`);
    }
  }
}
