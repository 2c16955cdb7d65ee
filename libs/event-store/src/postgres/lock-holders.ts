/** What lockHolders reads the catalog through: a pg pool or client, or a consumer's Queryable. */
export interface CatalogQueryable {
  query<R extends Record<string, any> = any>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export interface LockHoldersOptions {
  /** Any relation of these schemas counts too. */
  schemas?: readonly string[];
  /** Only sessions whose transaction has been open longer than this. */
  openLongerThanMs?: number;
}

/**
 * Who holds a lock on any of `tables`, or on any relation of `schemas`, right now, for a log line
 * an operator can act on: up to three sessions, the longest-open transaction first, as `pid 4242
 * (psql, idle in transaction, transaction open 95 s)`. Never the query text (it may carry
 * customers' data). Empty when nobody else holds one, or when the catalog cannot be read. A table
 * or schema that does not exist (yet) holds nothing.
 */
export async function lockHolders(db: CatalogQueryable, tables: readonly string[], options: LockHoldersOptions = {}): Promise<string> {
  try {
    const { rows } = await db.query<{ pid: number; application: string; state: string | null; open_s: number | null }>(
      `select a.pid, coalesce(nullif(a.application_name, ''), 'no application name') as application, a.state,
              extract(epoch from now() - a.xact_start)::int as open_s
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.granted and l.pid <> pg_backend_pid()
          and (l.relation in (select to_regclass(t) from unnest($1::text[]) t)
               or l.relation in (select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = any($2::text[])))
          and ($3::int is null or a.xact_start < clock_timestamp() - $3::int * interval '1 millisecond')
        group by 1, 2, 3, 4
        order by open_s desc nulls last
        limit 3`,
      [tables, options.schemas ?? [], options.openLongerThanMs ?? null],
    );
    return rows
      .map(
        (r) =>
          `pid ${r.pid} (${r.application}, ${r.state ?? 'unknown state'}${r.open_s === null ? '' : `, transaction open ${r.open_s} s`})`,
      )
      .join('; ');
  } catch {
    return '';
  }
}
