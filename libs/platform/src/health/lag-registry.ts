import { Injectable } from '@nestjs/common';

/**
 * How far a background reader (a projection, the Kafka relay, a consumer) is behind the
 * event log. /health/ready asks every registered reporter and answers 503 while one is
 * further behind than it tolerates, so a load balancer stops routing reads to an
 * instance whose read models are stale.
 *
 * Register from the component that knows its lag, e.g. in `onModuleInit`:
 *
 *   constructor(private readonly lags: LagRegistry) {}
 *   onModuleInit() { this.unregister = this.lags.register({ name: 'projection:drops', lag: () => this.countBehind() }); }
 *   onModuleDestroy() { this.unregister(); }
 */
export interface LagReporter {
  /** Shown in the readiness body, e.g. `projection:drops`, `relay`. Unique per process. */
  readonly name: string;
  /** Events (or messages) not yet processed. `undefined` = not running here (e.g. another instance holds the lease). */
  lag(): Promise<number | undefined>;
  /** Most lag that still counts as ready; defaults to LagRegistry.DEFAULT_MAX_LAG. */
  readonly maxLag?: number;
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
  static readonly DEFAULT_MAX_LAG = 10_000;
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
