import type { Pool } from 'pg';

/**
 * Who holds a lock on any of `tables` right now, for a log line an operator can act on: up to
 * three sessions, the longest-open transaction first, as `pid 4242 (psql, idle in transaction,
 * transaction open 95 s)`. Never the query text (it may carry customers' data). Empty when nobody
 * else holds one, or when the catalog cannot be read. A table that does not exist (yet) holds nothing.
 */
export async function lockHolders(pool: Pick<Pool, 'query'>, tables: readonly string[]): Promise<string> {
  try {
    const { rows } = await pool.query<{ pid: number; application: string; state: string | null; open_s: number | null }>(
      `select a.pid, coalesce(nullif(a.application_name, ''), 'no application name') as application, a.state,
              extract(epoch from now() - a.xact_start)::int as open_s
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.granted and l.relation in (select to_regclass(t) from unnest($1::text[]) t) and l.pid <> pg_backend_pid()
        group by 1, 2, 3, 4
        order by open_s desc nulls last
        limit 3`,
      [tables],
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
