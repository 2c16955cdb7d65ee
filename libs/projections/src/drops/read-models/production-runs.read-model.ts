import type { Column } from '../../upsert';
import { col, DropFact, iso } from './drop-fact';

/** rm_production_runs: one row per production run. */
export interface ProductionRunRow {
  runId: string;
  dropId: string;
  microfactoryId: string;
  status: string;
  unitsBySku: Record<string, number>;
  producedBySku: Record<string, number> | null;
  rejectedBySku: Record<string, number> | null;
  requestedAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

export const PRODUCTION_RUN_EVENT_TYPES = ['ProductionRunRequested', 'ProductionRunStarted', 'ProductionRunCompleted'] as const;

/** Key of the row an event changes: the run it names. */
export const runKeyOf = (fact: DropFact): string | undefined => fact.runId;

/** rm_production_runs: `row` is the run the event names (null before ProductionRunRequested). */
export function evolveProductionRun(row: ProductionRunRow | null, fact: DropFact): ProductionRunRow | null {
  const { event } = fact;
  switch (event.type) {
    case 'ProductionRunRequested': {
      if (row) return row;
      const d = event.data;
      return {
        runId: d.runId,
        dropId: fact.dropId,
        microfactoryId: d.microfactoryId,
        status: 'requested',
        unitsBySku: d.unitsBySku,
        producedBySku: null,
        rejectedBySku: null,
        requestedAt: d.requestedAt,
        startedAt: null,
        completedAt: null,
      };
    }
    case 'ProductionRunStarted':
      if (!row || row.status !== 'requested') return row;
      return { ...row, status: 'started', startedAt: event.data.startedAt };
    case 'ProductionRunCompleted': {
      if (!row || row.status === 'completed') return row;
      const d = event.data;
      return { ...row, status: 'completed', completedAt: d.completedAt, producedBySku: d.producedBySku, rejectedBySku: d.rejectedBySku };
    }
    default:
      return row;
  }
}

export const RUN_COLUMNS: Column<ProductionRunRow>[] = [
  col('run_id', 'text', (r) => r.runId),
  col('drop_id', 'text', (r) => r.dropId),
  col('microfactory_id', 'text', (r) => r.microfactoryId),
  col('status', 'text', (r) => r.status),
  col('units_by_sku', 'jsonb', (r) => r.unitsBySku),
  col('produced_by_sku', 'jsonb', (r) => r.producedBySku),
  col('rejected_by_sku', 'jsonb', (r) => r.rejectedBySku),
  col('requested_at', 'timestamptz', (r) => r.requestedAt),
  col('started_at', 'timestamptz', (r) => r.startedAt),
  col('completed_at', 'timestamptz', (r) => r.completedAt),
];

export function runFromDb(r: Record<string, any>): ProductionRunRow {
  return {
    runId: r.run_id,
    dropId: r.drop_id,
    microfactoryId: r.microfactory_id,
    status: r.status,
    unitsBySku: r.units_by_sku,
    producedBySku: r.produced_by_sku,
    rejectedBySku: r.rejected_by_sku,
    requestedAt: iso(r.requested_at)!,
    startedAt: iso(r.started_at),
    completedAt: iso(r.completed_at),
  };
}
