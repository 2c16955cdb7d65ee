import type { PageContext } from './projection';
import { Column, deleteRows, upsertRows } from './upsert';

/** How one table's rows are read, keyed and written by a batching executor. */
export interface TableSpec<R> {
  /** Logical table name (PageContext.table maps it to the live or shadow copy). */
  table: string;
  /** Primary-key columns (one or two). */
  keys: readonly [string] | readonly [string, string];
  columns: readonly Column<R>[];
  fromDb(row: Record<string, any>): R;
  /** The primary-key values of a row, in `keys` order. */
  keyOf(row: R): [string] | [string, string];
}

/**
 * The rows of one table a page touches: loaded in one query, evolved in memory, written back in
 * one multi-row delete and one multi-row upsert.
 * Keys are one or two text values (a drop and a SKU); rows are held by first, then second key
 * value, so `members(dropId)` lists the SKUs a drop has rows for.
 */
export class RowSet<R> {
  /**
   * One-column keys: the rows by key, in `flat`. Two-column keys: by first key value (a drop) in
   * `groups`, each holding its rows by second key value and which of them changed or went.
   */
  private readonly flat: Group<R> = { rows: new Map(), dirty: undefined, deleted: undefined };
  private readonly groups = new Map<string, Group<R>>();
  private readonly paired: boolean;

  constructor(readonly spec: TableSpec<R>) {
    this.paired = spec.keys.length === 2;
  }

  /** Loads the rows whose `column` is one of `values`, in one query. */
  async load(context: PageContext, column: string, values: readonly string[]): Promise<void> {
    if (values.length === 0) return;
    const { rows } = await context.client.query(`select * from ${context.table(this.spec.table)} where ${column} = any($1::text[])`, [
      values,
    ]);
    for (const r of rows) this.remember(this.spec.fromDb(r));
  }

  /** Adds a row read elsewhere (not changed). */
  remember(row: R): void {
    const [a, b] = this.spec.keyOf(row);
    if (b === undefined) this.flat.rows.set(a, row);
    else this.group(a).rows.set(b, row);
  }

  get(a: string, b?: string): R | undefined {
    return b === undefined ? this.flat.rows.get(a) : this.groups.get(a)?.rows.get(b);
  }

  has(a: string, b?: string): boolean {
    return b === undefined ? this.flat.rows.has(a) : (this.groups.get(a)?.rows.has(b) ?? false);
  }

  /** The second key values of the rows whose first key value is `a` (a live view: do not add rows while iterating it). */
  members(a: string): Iterable<string> {
    return this.groups.get(a)?.rows.keys() ?? EMPTY;
  }

  /**
   * Stores what an evolve returned for the row at (a[, b]): null deletes it (a row that never
   * was stays absent), a row is written with the page (evolves may update rows in place, so
   * every row set is taken as changed).
   */
  set(next: R | null, a: string, b?: string): void {
    const g = b === undefined ? this.flat : this.group(a);
    const key = b === undefined ? a : b;
    if (next !== null && g.rows.get(key) === next) {
      // The same row, updated in place by its evolve: only mark it changed.
      (g.dirty ??= new Set()).add(key);
      return;
    }
    if (next === null) {
      if (!g.rows.has(key)) return;
      g.rows.delete(key);
      g.dirty?.delete(key);
      (g.deleted ??= new Set()).add(key);
      return;
    }
    g.rows.set(key, next);
    (g.dirty ??= new Set()).add(key);
    g.deleted?.delete(key);
  }

  /** The rows changed since they were loaded (or created). */
  changed(): R[] {
    const out: R[] = [];
    for (const g of this.paired ? this.groups.values() : [this.flat]) if (g.dirty) for (const k of g.dirty) out.push(g.rows.get(k)!);
    return out;
  }

  /** One delete and one upsert for the whole page. */
  async write(context: PageContext): Promise<void> {
    const table = context.table(this.spec.table);
    const deleted: string[][] = [];
    if (this.paired) {
      for (const [a, g] of this.groups) if (g.deleted) for (const b of g.deleted) deleted.push([a, b]);
    } else if (this.flat.deleted) {
      for (const a of this.flat.deleted) deleted.push([a]);
    }
    await deleteRows(context.client, table, this.spec.keys, deleted);
    await upsertRows(context.client, table, this.spec.columns, this.spec.keys, this.changed());
  }

  private group(a: string): Group<R> {
    let g = this.groups.get(a);
    if (!g) this.groups.set(a, (g = { rows: new Map(), dirty: undefined, deleted: undefined }));
    return g;
  }
}

interface Group<R> {
  rows: Map<string, R>;
  dirty: Set<string> | undefined;
  deleted: Set<string> | undefined;
}

const EMPTY: Iterable<string> = [];
