import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { DropReadModelsProjection, openReadModels, ProjectionLag, ProjectionRunner, RestockReactor } from '@dropline/projections';
import type { Lease } from '@dropline/runtime';
import type { DataSource } from 'typeorm';
import type { AppConfig, Databases } from '@dropline/platform';
import { APP_CONFIG, Clock, DATABASES, LagRegistry, LeaseFactory } from '@dropline/platform';

/** How long an idle loop sleeps before looking at the log again. */
const IDLE_MS = 100;
/** Longest sleep after repeated failures (backoff doubles up to it). */
const MAX_BACKOFF_MS = 5000;

interface Worker {
  name: string;
  lease: Lease;
  /** One unit of work; true when something was done (the loop then runs again at once). */
  step(): Promise<boolean>;
}

/**
 * Runs the projections (and the restock reactor) of this process: each under its own lease, so
 * with several engines or projector apps on one database exactly one instance writes a
 * projection's tables. Every instance serves reads and lag; only the holder writes and rebuilds.
 */
@Injectable()
export class ProjectorService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Projector');
  readonly runners: ProjectionRunner[];
  readonly reactor: RestockReactor;
  private dataSource: DataSource | undefined;
  private readonly loops: Promise<void>[] = [];
  private readonly workers: Worker[] = [];
  private stopped = false;
  private wake: Array<() => void> = [];
  private readonly unregister: Array<() => void> = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASES) private readonly databases: Databases,
    private readonly leases: LeaseFactory,
    private readonly clock: Clock,
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
    this.reactor = new RestockReactor({ store: databases.store, pool: databases.readModels, now });
  }

  /** The read-model tables exist before any route or worker touches them (TypeORM migrations). */
  async onModuleInit(): Promise<void> {
    this.dataSource = await openReadModels(this.databases.readModels);
  }

  get readModels(): DataSource {
    if (!this.dataSource) throw new Error('read models are not open yet');
    return this.dataSource;
  }

  onApplicationBootstrap(): void {
    if (!this.config.run.projections) return;
    for (const runner of this.runners) {
      this.workers.push({
        name: runner.projection.name,
        lease: this.leases.create(`projection:${runner.projection.name}`),
        step: () => runner.step(),
      });
    }
    // The reactor has its own lease: appending recommendations never holds up a projection. It
    // folds the log itself (not the read models), so a rebuild does not pause it.
    this.workers.push({
      name: 'restock-reactor',
      lease: this.leases.create('reactor:restock'),
      step: async () => (await this.reactor.step()).worked,
    });
    for (const worker of this.workers) this.loops.push(this.loop(worker));
    for (const worker of this.workers.slice(0, this.runners.length)) {
      const runner = this.runner(worker.name)!;
      // Only the lease holder reports: a standby's lag says nothing about the read model.
      this.unregister.push(
        this.lags?.register({
          name: `projection:${worker.name}`,
          lag: async () => (worker.lease.held ? runner.readerLag() : undefined),
        }) ?? (() => undefined),
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const unregister of this.unregister.splice(0)) unregister();
    for (const wake of this.wake.splice(0)) wake();
    await Promise.all(this.loops);
    for (const worker of this.workers) await worker.lease.release();
    await this.dataSource?.destroy();
  }

  runner(name: string): ProjectionRunner | undefined {
    return this.runners.find((r) => r.projection.name === name);
  }

  async lag(name: string): Promise<ProjectionLag> {
    const runner = this.runner(name);
    if (!runner) throw new Error(`unknown projection ${name}`);
    return runner.lag();
  }

  /** Records a rebuild request; the lease holder (this process or another) picks it up on its next step. */
  async requestRebuild(name: string): Promise<void> {
    await ProjectionRunner.requestRebuild(this.databases.readModels, name);
    for (const wake of this.wake.splice(0)) wake();
  }

  private async loop(worker: Worker): Promise<void> {
    let backoff = IDLE_MS;
    while (!this.stopped) {
      let worked = false;
      try {
        if (await worker.lease.tryAcquire()) worked = await worker.step();
        backoff = IDLE_MS;
      } catch (e) {
        this.logger.warn(`${worker.name} failed, retrying in ${backoff} ms: ${e instanceof Error ? e.message : String(e)}`);
        await this.sleep(backoff);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        continue;
      }
      if (!worked) await this.sleep(IDLE_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref?.();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake.push(done);
    });
  }
}
