import type { EventStore, ReadAllOptions, ReadAllResult } from '@dropline/event-store';

/**
 * Reads the global log until the page holds at least `expected` events. On a PostgreSQL server an
 * append shows in the log only once it is below the cluster-wide safe horizon, which an open
 * transaction of another test file can hold back for a moment (docs/architecture.md, "The gap-safe
 * global log"); on PGlite, and when nothing else runs, the first read already holds them all.
 */
export async function readAllShowing(
  store: Pick<EventStore, 'readAll'>,
  options: ReadAllOptions,
  expected: number,
  timeoutMs = 30_000,
): Promise<ReadAllResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await store.readAll(options);
    if (page.events.length >= expected) return page;
    if (Date.now() > deadline) throw new Error(`the log showed ${page.events.length} of ${expected} events after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
