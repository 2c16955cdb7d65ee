import type { EventFilter, EventStore, ReadAllResult, RecordedEvent } from '@dropline/event-store';
import { backoffDelay } from './backoff';

/** One read of the global log, as a processor handles it. */
export interface ProcessorPage {
  /** The events the filter kept, in log order. */
  events: readonly RecordedEvent[];
  /** Past everything this read scanned (filtered-out events included): where the next read starts. */
  position: string | undefined;
  /** The read reached the current safe end of the log. */
  isEnd: boolean;
}

export interface LogPagesOptions {
  /** Exclusive start; undefined = the start of the log. */
  from: string | undefined;
  filter?: EventFilter;
  pageSize: number;
  /** First sleep once caught up; it grows with jitter (backoffDelay) while the log stays idle, up to maxIdleMs. */
  idleMs?: number;
  maxIdleMs?: number;
  /** Ends the iteration (an idle sleep is cut short). */
  signal?: AbortSignal;
  /**
   * Reads the next page while the current one is handled. Only when the store does not share
   * the handler's connection: never on the embedded PGlite, whose one connection would
   * serialise (or, inside the page's transaction, deadlock) the two.
   */
  prefetch?: boolean;
}

/** The page source: `for await` over it; nudge and seek steer it from the handler's side. */
export interface LogPages extends AsyncIterable<ProcessorPage> {
  /** Cuts an idle (or stall) sleep short: something was appended or requested. */
  nudge(): void;
  /**
   * The next read starts at `position` (after a stall the reader stands before the bad event),
   * after `delayMs`; `fresh` makes it read the store itself (ReadAllOptions.fresh), so an event
   * fixed in the store meanwhile is seen.
   */
  seek(position: string | undefined, delayMs?: number, fresh?: boolean): void;
}

/**
 * Catch-up-then-live over `store.readAll` pages: reads from `from` a page at a time, each read
 * continuing at the previous read's resume position (past everything scanned, so filtered-out
 * events are never scanned twice and the checkpoint can move past them); once a read reaches
 * the end it yields it and sleeps (idle backoff with jitter, cut short by nudge) before reading
 * again. Every read is yielded, an idle one too (no events, same position, isEnd), so the
 * handler sees it is caught up. A failed read ends the iteration with its error: restarting
 * with backoff is the supervisor's job, so a reader that keeps failing is visible there.
 *
 * Why not `subscribeToAll`: its per-event stream gives no position past filtered-out events
 * and no page boundary for a transaction, and both are what checkpoints and batched writes need.
 */
export function logPages(store: EventStore, options: LogPagesOptions): LogPages {
  const idleMs = options.idleMs ?? 100;
  const maxIdleMs = Math.max(idleMs, options.maxIdleMs ?? idleMs * 2);
  let position = options.from;
  let nudged = false;
  let pendingDelay = 0;
  let freshNext = false;
  let wake: (() => void) | undefined;
  let ahead: { from: string | undefined; read: Promise<ReadAllResult> } | undefined;

  const read = (from: string | undefined, fresh = false): Promise<ReadAllResult> =>
    store.readAll({
      fromPosition: from,
      maxCount: options.pageSize,
      ...(options.filter ? { filter: options.filter } : {}),
      ...(fresh ? { fresh } : {}),
    });
  const take = (from: string | undefined): Promise<ReadAllResult> => {
    const prefetched = ahead;
    ahead = undefined;
    if (freshNext) {
      freshNext = false;
      return read(from, true);
    }
    return prefetched && prefetched.from === from ? prefetched.read : read(from);
  };
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (options.signal?.aborted || ms <= 0) return resolve();
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
      options.signal?.addEventListener('abort', done, { once: true });
    });

  async function* pages(): AsyncGenerator<ProcessorPage> {
    let idleRounds = 0;
    while (!options.signal?.aborted) {
      const from = position;
      const page = await take(from);
      if (options.signal?.aborted) return;
      position = page.position ?? from;
      const idle = page.isEnd && page.events.length === 0;
      if (options.prefetch && !page.isEnd) {
        const next = read(position);
        // A failed prefetch surfaces when (if) the page is taken; never as an unhandled rejection.
        next.catch(() => undefined);
        ahead = { from: position, read: next };
      }
      nudged = false;
      yield { events: page.events, position: page.position ?? from, isEnd: page.isEnd };
      if (pendingDelay > 0) {
        const ms = pendingDelay;
        pendingDelay = 0;
        await sleep(ms);
      } else if (idle && !nudged) {
        idleRounds++;
        await sleep(backoffDelay(idleRounds, idleMs, maxIdleMs));
      } else if (!idle) idleRounds = 0;
    }
  }

  const iterable = pages();
  return {
    [Symbol.asyncIterator]: () => iterable,
    nudge() {
      nudged = true;
      pendingDelay = 0;
      wake?.();
    },
    seek(to, delayMs = 0, fresh = false) {
      position = to;
      ahead = undefined;
      pendingDelay = delayMs;
      freshNext = fresh;
    },
  };
}
