import type { Queryable } from './projection';

/** A column of a multi-row upsert: its name and the PostgreSQL type its array is cast to. */
export interface Column<R> {
  name: string;
  type: 'text' | 'int4' | 'int8' | 'float8' | 'bool' | 'jsonb' | 'timestamptz';
  get(row: R): unknown;
}

/**
 * One round trip for any number of rows: `insert … select * from unnest($1::t[], …) on conflict
 * (keys) do update`. Rows must have distinct keys (the fold keeps one row per key per page).
 */
export async function upsertRows<R>(
  client: Queryable,
  table: string,
  columns: readonly Column<R>[],
  keys: readonly string[],
  rows: readonly R[],
): Promise<void> {
  if (rows.length === 0) return;
  const params = columns.map((c) =>
    rows.map((row) => {
      const value = c.get(row);
      if (value === undefined || value === null) return null;
      return c.type === 'jsonb' ? JSON.stringify(value) : value;
    }),
  );
  const names = columns.map((c) => c.name);
  const casts = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  const updates = names.filter((n) => !keys.includes(n)).map((n) => `${n} = excluded.${n}`);
  const conflict = updates.length ? `do update set ${updates.join(', ')}` : 'do nothing';
  await client.query(
    `insert into ${table} (${names.join(', ')}) select * from unnest(${casts}) on conflict (${keys.join(', ')}) ${conflict}`,
    params,
  );
}

/** Deletes rows by composite key in one round trip. */
export async function deleteRows(client: Queryable, table: string, keys: readonly string[], values: readonly string[][]): Promise<void> {
  if (values.length === 0) return;
  const params = keys.map((_, i) => values.map((v) => v[i]));
  const casts = keys.map((_, i) => `$${i + 1}::text[]`).join(', ');
  await client.query(`delete from ${table} where (${keys.join(', ')}) in (select * from unnest(${casts}))`, params);
}
