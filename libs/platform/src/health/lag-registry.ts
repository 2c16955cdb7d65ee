import { Injectable } from '@nestjs/common';
import type { ReaderLag } from '@dropline/event-store';

/**
 * How far a background reader (a projection) is behind the event log. /health/ready asks every
 * registered reporter and answers 503 while one is further behind than the configured limits
 * (lagVerdict), so a load balancer stops routing reads to an instance whose read models are stale.
 *
 * Register from the component that knows its lag, e.g. in `onApplicationBootstrap`:
 *
 *   constructor(private readonly lags: LagRegistry) {}
 *   onApplicationBootstrap() { this.unregister = this.lags.register({ name: 'projection:drops', lag: () => this.measure() }); }
 *   onApplicationShutdown() { this.unregister(); }
 */
export interface LagReporter {
  /** Shown in the readiness body, e.g. `projection:drops`. Unique per process. */
  readonly name: string;
  /** Seconds and events behind (measureLag in @dropline/event-store); `undefined` = not running here (e.g. another instance holds the lease). */
  lag(): Promise<ReportedLag | undefined>;
}

/** A reader's lag, and for a supervised processor its state, restarts and last error (shown beside the lag). */
export type ReportedLag = ReaderLag & { state?: string; restarts?: number; lastError?: string | null };

/** When a reader counts as too far behind (READY_MAX_LAG_SECONDS, READY_MAX_LAG_EVENTS). */
export interface LagLimits {
  maxLagSeconds: number;
  maxLagEvents: number;
}

/**
 * The readiness rule for one reader: ready while its seconds behind are within maxLagSeconds
 * and, where the store can count them, its events behind within maxLagEvents. A reader not
 * running here is ready. `details` is what the readiness body shows for it: `lag` (events, null
 * where not countable) and `maxLag` as before, plus `lagSeconds` and `maxLagSeconds`.
 */
export function lagVerdict(lag: ReportedLag | undefined, limits: LagLimits): { ready: boolean; details: Record<string, unknown> } {
  if (lag === undefined) return { ready: true, details: { lag: null, note: 'not running in this instance' } };
  const ready = lag.lagSeconds <= limits.maxLagSeconds && (lag.lagEvents === null || lag.lagEvents <= limits.maxLagEvents);
  const supervised = lag.restarts === undefined ? {} : { state: lag.state, restarts: lag.restarts, lastError: lag.lastError ?? null };
  return {
    ready,
    details: {
      lag: lag.lagEvents,
      maxLag: limits.maxLagEvents,
      lagSeconds: lag.lagSeconds,
      maxLagSeconds: limits.maxLagSeconds,
      ...supervised,
    },
  };
}

/** A dependency whose reachability decides readiness (e.g. Kafka where configured). */
export interface DependencyProbe {
  readonly name: string;
  /** Resolves when reachable; rejects with the reason otherwise. */
  ping(): Promise<void>;
}

/** Process-wide registry of lag reporters and dependency probes; provided globally by HealthModule. */
@Injectable()
export class LagRegistry {
  private readonly reporters = new Map<string, LagReporter>();
  private readonly probes = new Map<string, DependencyProbe>();

  /** Adds a reporter; returns the function that removes it. A second reporter with the same name replaces the first. */
  register(reporter: LagReporter): () => void {
    this.reporters.set(reporter.name, reporter);
    return () => {
      if (this.reporters.get(reporter.name) === reporter) this.reporters.delete(reporter.name);
    };
  }

  /** Adds a dependency probe; returns the function that removes it. */
  registerProbe(probe: DependencyProbe): () => void {
    this.probes.set(probe.name, probe);
    return () => {
      if (this.probes.get(probe.name) === probe) this.probes.delete(probe.name);
    };
  }

  lagReporters(): LagReporter[] {
    return [...this.reporters.values()];
  }

  dependencyProbes(): DependencyProbe[] {
    return [...this.probes.values()];
  }
}
