import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { DropReadModelsProjection, ProjectionLag, ProjectionRunner, RestockReactor } from '@dropline/projections';
import { CheckpointStore, Supervisor, type ProcessorStatus } from '@dropline/runtime';
import { DataSource } from 'typeorm';
import type { AppConfig, Databases } from '@dropline/platform';
import { APP_CONFIG, Clock, DATABASES, LagRegistry, LeaseFactory } from '@dropline/platform';

/** First backoff after a failure (doubling up to 5 s). */
const IDLE_MS = 100;

/**
 * Runs the projections (and the restock reactor) of this process on the runtime's supervisor:
 * each under its own lease, so with several engines or projector apps on one database exactly
 * one instance writes a projection's tables. Every instance serves reads and lag; only the
 * holder writes and rebuilds. A failed projection is restarted with jittered backoff, and its
 * restarts and last error show beside its lag (readiness, /admin/projections).
 * The read-model tables exist before it is constructed: it takes ReadModelsModule's DataSource,
 * whose factory runs the migrations.
 */
@Injectable()
export class ProjectorService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Projector');
  readonly runners: ProjectionRunner[];
  readonly reactor: RestockReactor;
  private supervisor: Supervisor | undefined;
  private readonly unregister: Array<() => void> = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASES) private readonly databases: Databases,
    private readonly leases: LeaseFactory,
    private readonly clock: Clock,
    /** TypeOrmModule's DataSource: injecting it makes the migrations run before this service exists. */
    readonly readModels: DataSource,
    @Optional() private readonly lags?: LagRegistry,
  ) {
    const now = () => this.clock.now();
    this.runners = [
      new ProjectionRunner({
        store: databases.store,
        pool: databases.readModels,
        projection: new DropReadModelsProjection(),
        pageSize: config.projectionPageSize,
        rebuildPageSize: config.projectionRebuildPageSize,
        // Embedded PGlite has one connection for the store and the read models: read, then write.
        concurrentReads: !databases.embedded,
        onBadEvent: config.onBadEvent,
        logger: this.logger,
      }),
    ];
    this.reactor = new RestockReactor({
      store: databases.store,
      pool: databases.readModels,
      now,
      onBadEvent: config.onBadEvent,
      logger: this.logger,
    });
  }

  /** Checkpoints kept in the tables of earlier versions are adopted once, before any worker starts. */
  async onModuleInit(): Promise<void> {
    for (const runner of this.runners) await runner.migrate();
  }

  onApplicationBootstrap(): void {
    if (!this.config.run.projections) return;
    const supervisor = new Supervisor({
      store: this.databases.store,
      checkpoints: new CheckpointStore(this.databases.readModels),
      logger: this.logger,
      backoff: { initialMs: IDLE_MS, maxMs: 5_000 },
    });
    for (const runner of this.runners) {
      const name = runner.checkpointName('live');
      supervisor.add(runner.processor(), this.leases.create(name));
      // Only the lease holder reports: a standby's lag says nothing about the read model.
      this.unregister.push(
        this.lags?.register({
          name,
          lag: async () => {
            const lag = await supervisor.lag(name);
            const status = supervisor.statusOf(name)!;
            return lag && { ...lag, state: status.state, restarts: status.restarts, lastError: status.lastError ?? null };
          },
        }) ?? (() => undefined),
      );
    }
    // The reactor has its own lease: appending recommendations never holds up a projection. It
    // folds the log itself (not the read models), so a rebuild neither pauses nor disturbs it.
    supervisor.add(this.reactor.processor(), this.leases.create(this.reactor.name));
    this.supervisor = supervisor;
    supervisor.start();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const unregister of this.unregister.splice(0)) unregister();
    await this.supervisor?.stop();
  }

  runner(name: string): ProjectionRunner | undefined {
    return this.runners.find((r) => r.projection.name === name);
  }

  /** The projection's supervised state here (undefined where projections do not run in this process). */
  processorStatus(name: string): ProcessorStatus | undefined {
    const runner = this.runner(name);
    return runner && this.supervisor?.statusOf(runner.checkpointName('live'));
  }

  async lag(name: string): Promise<ProjectionLag & { processor: ProcessorStatus | null }> {
    const runner = this.runner(name);
    if (!runner) throw new Error(`unknown projection ${name}`);
    return { ...(await runner.lag()), processor: this.processorStatus(name) ?? null };
  }

  /** Records a rebuild request; the lease holder (this process or another) picks it up on its next step. */
  async requestRebuild(name: string): Promise<void> {
    await ProjectionRunner.requestRebuild(this.databases.readModels, name);
    this.runner(name)?.rebuildRequested();
    this.supervisor?.nudge();
  }
}
