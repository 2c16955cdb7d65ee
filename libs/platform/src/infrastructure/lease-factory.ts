import { Inject, Injectable } from '@nestjs/common';
import { AdvisoryLease, EventStoreLease, Lease, LeaseStoreKind, ProcessLease } from '@dropline/runtime';
import type { AppConfig } from '../config/app-config';
import type { Databases } from './databases';
import { APP_CONFIG, DATABASES } from './tokens';

/** One lease of this process as the status routes show it. */
export interface LeaseStatus {
  name: string;
  store: LeaseStoreKind;
  held: boolean;
  fence: number | undefined;
}

/**
 * Leases for work that must run once across engine instances (scheduler, projections, restock
 * reactor, relay, in-process consumers), kept where the configuration says (LEASE_STORE, resolved
 * by loadConfig): PostgreSQL advisory locks, a lease stream in the event store, or this process.
 */
@Injectable()
export class LeaseFactory {
  /** Per set of databases, not per factory: several modules provide their own factory over the same ones. */
  private static readonly registry = new WeakMap<Databases, Array<Lease & { kind: LeaseStoreKind }>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASES) private readonly databases: Databases,
  ) {}

  get store(): LeaseStoreKind {
    return this.config.lease.store;
  }

  create(name: string): Lease {
    const lease = this.make(name);
    this.created.push(lease);
    return lease;
  }

  private get created(): Array<Lease & { kind: LeaseStoreKind }> {
    let list = LeaseFactory.registry.get(this.databases);
    if (!list) LeaseFactory.registry.set(this.databases, (list = []));
    return list;
  }

  /** Every lease created over these databases (this process), with whether it holds it now and its fence. */
  status(): LeaseStatus[] {
    return this.created.map((lease) => ({ name: lease.name, store: lease.kind, held: lease.held, fence: lease.fence }));
  }

  private make(name: string): Lease & { kind: LeaseStoreKind } {
    const { databases } = this;
    switch (this.config.lease.store) {
      case 'database':
        return new AdvisoryLease(databases.readModels, name);
      case 'event-store':
        return new EventStoreLease(databases.store, name, { ttlMs: this.config.lease.ttlMs });
      case 'process':
        return new ProcessLease(name, databases.readModels);
    }
  }
}
