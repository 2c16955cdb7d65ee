import { Inject, Injectable } from '@nestjs/common';
import { AdvisoryLease, Lease, ProcessLease } from '@dropline/runtime';
import type { Databases } from './databases';
import { DATABASES } from './tokens';

/** Leases for work that must run once across engine instances (scheduler, projections, relay). */
@Injectable()
export class LeaseFactory {
  constructor(@Inject(DATABASES) private readonly databases: Databases) {}

  create(name: string): Lease {
    return this.databases.embedded ? new ProcessLease(name, this.databases.readModels) : new AdvisoryLease(this.databases.readModels, name);
  }
}
