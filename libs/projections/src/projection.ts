import type { RecordedEvent } from '@dropline/event-store';

/** The part of a pg client a projection writes through (a PoolClient inside the page's transaction). */
export interface Queryable {
  query<R extends Record<string, any> = any>(text: string, params?: unknown[]): Promise<{ rows: R[]; rowCount?: number | null }>;
}

/** What a projection gets for one page: the open transaction and the physical names of its tables. */
export interface PageContext {
  client: Queryable;
  /** Physical name of a logical table: itself for the live copy, `<table>_rebuild` while rebuilding. */
  table(name: string): string;
}

/**
 * A projection folds a page of events into rows and writes them in the transaction the runner
 * opened; the runner writes the checkpoint in the same transaction. `applyPage` must be
 * idempotent per stream revision (the runner filters by position too, but a projection must
 * not rely on a single guard).
 */
export interface Projection {
  name: string;
  /** Bump when the fold changes: the runner then rebuilds the tables from the start of the log. */
  version: number;
  eventTypes: readonly string[];
  streamPrefixes: readonly string[];
  /** Every table the projection writes (the unit of a rebuild swap). */
  tables: readonly string[];
  applyPage(events: readonly RecordedEvent[], context: PageContext): Promise<void>;
}

/** The live physical table names. */
export const liveTables: PageContext['table'] = (name) => name;
/** The shadow physical table names a rebuild writes. */
export const shadowTables: PageContext['table'] = (name) => `${name}_rebuild`;
