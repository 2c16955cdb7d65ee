import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LabelValues } from 'prom-client';

/** How a command ended: accepted, or rejected with its error's stable code. */
export type CommandOutcomeLabel = { outcome: 'accepted' } | { outcome: 'rejected'; code: string };

/** What the writer, the relay and the consumers report (structurally the observers their libs declare). */
export interface WriterObserver {
  batch(commands: number): void;
  appended(seconds: number, events: ReadonlyArray<{ type: string }>): void;
  conflict(): void;
  redecided(commands: number): void;
}

/** Latency buckets in seconds, from a cached decide (sub-millisecond) to a stuck store. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Commands per writer batch (AggregateWriter maxBatchSize defaults to 1000). */
const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500];

/** A scrape-time source: sets gauges from state the process already keeps (supervisors, leases, caches). */
export type MetricsCollector = () => void | Promise<void>;

/**
 * The Prometheus registry of one app (prom-client, one Registry per instance so several apps in
 * one test process never share series) and every Dropline family. Hot-path calls (`command`,
 * the writer observer, `httpRequest`) reuse series kept in Maps keyed by their label values, so
 * a request allocates no label object once its series exists; the per-command counters count in
 * plain numbers that their family's collect hook adds to prom-client when it is read. Figures the process
 * already keeps (processor status and lag, leases, open drops) are read at scrape time by the
 * collectors registered with `onCollect`, never by instrumenting loops. docs/operations.md
 * "## Metrics" lists every family.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly collectors = new Set<MetricsCollector>();

  readonly commands: Counter<'type' | 'outcome' | 'code'> = new Counter({
    name: 'dropline_commands_total',
    help: 'Drop commands decided, by command type and outcome (accepted, or rejected with its error code)',
    labelNames: ['type', 'outcome', 'code'] as const,
    collect: () => flushTallies(this.commands, this.commandTallies),
    registers: [this.registry],
  });
  readonly commandDuration = new Histogram({
    name: 'dropline_command_duration_seconds',
    help: 'From a command reaching the writer to its answer (queueing, decide, append), by command type',
    labelNames: ['type'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'dropline_writer_batch_size',
    help: 'Commands the batching writer decided together in one batch',
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  readonly appendDuration = new Histogram({
    name: 'dropline_append_duration_seconds',
    help: 'One append to the event store by the writer (one part of a batch)',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly conflicts = new Counter({
    name: 'dropline_writer_conflicts_total',
    help: 'Appends refused for a wrong expected revision (another process wrote the stream)',
    registers: [this.registry],
  });
  readonly redecisions = new Counter({
    name: 'dropline_writer_redecided_commands_total',
    help: 'Commands decided again after a conflict, on the reloaded stream',
    registers: [this.registry],
  });
  readonly eventsAppended: Counter<'type'> = new Counter({
    name: 'dropline_events_appended_total',
    help: 'Events the writer appended, by event type',
    labelNames: ['type'] as const,
    collect: () => flushTallies(this.eventsAppended, this.eventTallies),
    registers: [this.registry],
  });
  readonly dropPreOrders: Counter<'drop_id' | 'outcome' | 'code'> = new Counter({
    name: 'dropline_drop_pre_orders_total',
    help: 'Pre-orders placed on an open drop, accepted or rejected (by code); series leave when the drop stops being open',
    labelNames: ['drop_id', 'outcome', 'code'] as const,
    collect: () => flushTallies(this.dropPreOrders, this.dropTallies),
    registers: [this.registry],
  });
  readonly dropUnits = new Gauge({
    name: 'dropline_drop_units',
    help: 'Units of an open drop (cached by this instance): sold (net of cancellations) and cap (every SKU)',
    labelNames: ['drop_id', 'kind'] as const,
    registers: [this.registry],
  });
  readonly dropSellThrough = new Gauge({
    name: 'dropline_drop_sell_through_ratio',
    help: 'Units sold / units capped of an open drop (cached by this instance)',
    labelNames: ['drop_id'] as const,
    registers: [this.registry],
  });
  readonly processorUp = new Gauge({
    name: 'dropline_processor_running',
    help: 'Whether this instance runs the processor (holds its lease and it is not stopped)',
    labelNames: ['processor'] as const,
    registers: [this.registry],
  });
  readonly processorState = new Gauge({
    name: 'dropline_processor_state',
    help: 'The processor state (1 for the current one): standby, running, caught-up, retrying, stalled, stopped',
    labelNames: ['processor', 'state'] as const,
    registers: [this.registry],
  });
  readonly processorStalled = new Gauge({
    name: 'dropline_processor_stalled',
    help: 'Whether the processor stands at a bad event (ON_BAD_EVENT=stop: state stalled)',
    labelNames: ['processor'] as const,
    registers: [this.registry],
  });
  readonly processorPosition = new Gauge({
    name: 'dropline_processor_position',
    help: 'Global log position of the processor checkpoint (PostgreSQL/PGlite: the sequence; EventStoreDB: the commit position)',
    labelNames: ['processor'] as const,
    registers: [this.registry],
  });
  readonly processorLagEvents = new Gauge({
    name: 'dropline_processor_lag_events',
    help: 'Events after the processor checkpoint it would read (on EventStoreDB a lower bound: the count stops at 20,000)',
    labelNames: ['processor'] as const,
    registers: [this.registry],
  });
  readonly processorLagSeconds = new Gauge({
    name: 'dropline_processor_lag_seconds',
    help: 'Seconds the processor is behind: the log head recorded time minus that of its first unhandled event',
    labelNames: ['processor'] as const,
    registers: [this.registry],
  });
  readonly processorRestarts = new Counter({
    name: 'dropline_processor_restarts_total',
    help: 'Times the supervisor started the processor or task again after a failure, since this process started',
    labelNames: ['processor'] as const,
    registers: [this.registry],
  });
  readonly relayPublished = new Counter({
    name: 'dropline_relay_published_total',
    help: 'Events the relay published and the broker acknowledged',
    labelNames: ['relay'] as const,
    registers: [this.registry],
  });
  readonly relayFailed = new Counter({
    name: 'dropline_relay_failures_total',
    help: 'Relay rounds that failed (broker or database), each followed by a supervised restart',
    labelNames: ['relay'] as const,
    registers: [this.registry],
  });
  readonly consumerMessages = new Counter({
    name: 'dropline_consumer_messages_total',
    help: 'Messages a consumer finished with, by outcome: applied, duplicate (deduplicated by ce_id), skipped, dead-lettered',
    labelNames: ['consumer', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly deadLettersWaiting = new Gauge({
    name: 'dropline_dead_letters_waiting',
    help: 'Dead letters of a consumer neither redriven nor dismissed yet (its <consumer>.dead_letters table, read at scrape)',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
  });
  readonly leaseHeld = new Gauge({
    name: 'dropline_lease_held',
    help: 'Whether this instance holds the lease (1) or stands by (0)',
    labelNames: ['lease', 'store'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'dropline_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern (never the raw URL) and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  private readonly children = new Map<string, { inc(n?: number): void }>();
  private readonly durations = new Map<string, { observe(v: number): void }>();
  // The per-command series: counted in plain numbers (Tally) and handed to prom-client when the
  // family is read (its collect hook), looked up by nested Maps of the label values as they come.
  // A prom-client child re-hashes and re-validates its labels on every inc: per command that cost
  // more than the counting itself.
  private readonly commandTallies = new Set<Tally>();
  private readonly eventTallies = new Set<Tally>();
  private readonly dropTallies = new Set<Tally>();
  private readonly commandSeries = new Map<string, CommandSeries>();
  private readonly eventSeries = new Map<string, Tally>();
  private readonly dropSeries = new Map<string, OutcomeTallies>();

  constructor(options: { defaults?: boolean } = {}) {
    // Process figures (CPU, memory, event-loop delay, GC) with the dropline_ prefix.
    if (options.defaults !== false) collectDefaultMetrics({ register: this.registry, prefix: 'dropline_' });
  }

  /** Adds a scrape-time source; returns the function that removes it. */
  onCollect(collector: MetricsCollector): () => void {
    this.collectors.add(collector);
    return () => void this.collectors.delete(collector);
  }

  /** Runs the collectors, then renders the Prometheus text format. A failing collector leaves its families as they were. */
  async scrape(): Promise<string> {
    await Promise.all(
      [...this.collectors].map(async (collect) => {
        try {
          await collect();
        } catch {
          // A source that cannot answer now (a store down while measuring lag) must not hide the other families.
        }
      }),
    );
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** One decided command: its type, how it ended and how long it took. */
  command(type: string, outcome: CommandOutcomeLabel, seconds: number): void {
    let series = this.commandSeries.get(type);
    if (series === undefined) {
      series = { accepted: undefined, rejected: new Map(), duration: this.commandDuration.labels({ type }) };
      this.commandSeries.set(type, series);
    }
    tallyOf(series, outcome, this.commandTallies, (code) => ({ type, outcome: outcome.outcome, code })).n++;
    series.duration.observe(seconds);
  }

  /** A pre-order decided on an open drop (drop ids are labels only while the drop is open: see `openDrops`). */
  preOrderOnOpenDrop(dropId: string, outcome: CommandOutcomeLabel): void {
    let series = this.dropSeries.get(dropId);
    if (series === undefined) this.dropSeries.set(dropId, (series = { accepted: undefined, rejected: new Map() }));
    tallyOf(series, outcome, this.dropTallies, (code) => ({ drop_id: dropId, outcome: outcome.outcome, code })).n++;
  }

  /**
   * Sets the sell-through of the open drops and forgets every drop-labelled series of a drop that is
   * no longer among them, so drop ids in labels stay bounded by the drops open at once.
   */
  openDrops(drops: ReadonlyArray<{ dropId: string; sold: number; cap: number }>): void {
    const open = new Set(drops.map((d) => d.dropId));
    this.dropUnits.reset();
    this.dropSellThrough.reset();
    for (const d of drops) {
      this.dropUnits.labels(d.dropId, 'sold').set(d.sold);
      this.dropUnits.labels(d.dropId, 'cap').set(d.cap);
      this.dropSellThrough.labels(d.dropId).set(d.cap > 0 ? d.sold / d.cap : 0);
    }
    for (const [dropId, series] of this.dropSeries) {
      if (open.has(dropId)) continue;
      this.dropSeries.delete(dropId);
      // What was counted since the last scrape goes with the series.
      for (const tally of [...(series.accepted ? [series.accepted] : []), ...series.rejected.values()]) {
        this.dropTallies.delete(tally);
        this.dropPreOrders.remove(tally.labels);
      }
    }
  }

  /** The writer's observer (AggregateWriterOptions.observer). */
  readonly writer: WriterObserver = {
    batch: (commands) => this.batchSize.observe(commands),
    appended: (seconds, events) => {
      this.appendDuration.observe(seconds);
      for (const e of events) {
        let tally = this.eventSeries.get(e.type);
        if (tally === undefined) {
          tally = { labels: { type: e.type }, n: 0 };
          this.eventSeries.set(e.type, tally);
          this.eventTallies.add(tally);
        }
        tally.n++;
      }
    },
    conflict: () => this.conflicts.inc(),
    redecided: (commands) => this.redecisions.inc(commands),
  };

  /** The relay's observer (RelayOptions.observer). */
  relay(name: string): { published(events: number): void; failed(): void } {
    const published = this.relayPublished.labels(name);
    const failed = this.relayFailed.labels(name);
    return { published: (n) => published.inc(n), failed: () => failed.inc() };
  }

  /** A consumer's observer (EffectivelyOnceConsumer's last argument). */
  consumer(name: string): { delivered(outcome: string): void } {
    return { delivered: (outcome) => this.counter(this.consumerMessages, `m|${name}|${outcome}`, { consumer: name, outcome }).inc() };
  }

  /** One HTTP response; `route` is the registered pattern (undefined for unmatched URLs). */
  httpRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    const pattern = route ?? 'unmatched';
    this.histogram(this.httpDuration, `${method} ${pattern} ${status}`, { method, route: pattern, status: String(status) }).observe(
      seconds,
    );
  }

  private counter<L extends string>(family: Counter<L>, key: string, labels: LabelValues<L>): { inc(n?: number): void } {
    let child = this.children.get(key);
    if (!child) this.children.set(key, (child = family.labels(labels)));
    return child;
  }

  private histogram<L extends string>(family: Histogram<L>, key: string, labels: LabelValues<L>): { observe(v: number): void } {
    let child = this.durations.get(key);
    if (!child) this.durations.set(key, (child = family.labels(labels)));
    return child;
  }
}

/** One labelled counter series, counted in a plain number until its family is read. */
interface Tally {
  readonly labels: Record<string, string>;
  n: number;
}

/** The accepted series and the rejected ones by code, of one command type or one open drop. */
interface OutcomeTallies {
  accepted: Tally | undefined;
  rejected: Map<string, Tally>;
}

interface CommandSeries extends OutcomeTallies {
  duration: { observe(v: number): void };
}

/** The tally of `outcome` (made and listed in `tallies` on first use, labelled by `labels(code)`). */
function tallyOf(
  series: OutcomeTallies,
  outcome: CommandOutcomeLabel,
  tallies: Set<Tally>,
  labels: (code: string) => Record<string, string>,
): Tally {
  if (outcome.outcome === 'accepted') {
    if (series.accepted === undefined) tallies.add((series.accepted = { labels: labels(''), n: 0 }));
    return series.accepted;
  }
  let tally = series.rejected.get(outcome.code);
  if (tally === undefined) {
    tally = { labels: labels(outcome.code), n: 0 };
    series.rejected.set(outcome.code, tally);
    tallies.add(tally);
  }
  return tally;
}

/** A counter family's collect hook: adds what its tallies counted since it was last read. */
function flushTallies(family: Counter<string>, tallies: ReadonlySet<Tally>): void {
  for (const tally of tallies) {
    if (tally.n === 0) continue;
    family.inc(tally.labels, tally.n);
    tally.n = 0;
  }
}
