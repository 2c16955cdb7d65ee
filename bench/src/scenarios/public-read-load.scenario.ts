import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { createPostgresPool, ensureEventStoreSchema, type EventMetadata, type NewEvent, PostgresEventStore } from '@dropline/event-store';
import type { BenchContext, BenchResult, Scenario } from '../scenario';
import type { LoadResult } from '../load/autocannon.worker';
import { createBenchDatabase } from '../support/database';
import { BENCH_LIMITS_ENV, benchToken, fiveXX, load, openDropOverHttp, startEngine } from '../support/http-engine';
import { preOrderPlaced } from '../support/seed';
import { numberFlag, round, watchPeakRss } from '../support/stats';

/*
 * public-read-load: can a crowd polling the storefront stall a sale? The built engine as its own
 * process (PostgreSQL store, production auth, BENCH_LIMITS_ENV), one drop seeded with --events
 * (100 000) pre-orders, a --warmup-seconds (5) warm-up of the buyers, then on that drop, each
 * for --seconds (10):
 *   1. buyers alone: --buyers (256) connections pre-ordering over HTTP (till token, kiosk);
 *   2. the same buyers while --pollers (30) anonymous connections loop on GET /drops/:dropId.
 * Reported: the pre-order rate kept in (2) relative to (1) (target >= 0.80), the public page's
 * p50/p99, and 429s counted apart from the other answers.
 */

const statusCount = (r: LoadResult, status: number) => r.statuses[String(status)] ?? 0;

async function seed(databaseUrl: string, dropId: string, events: number, log: (m: string) => void): Promise<void> {
  const pool = createPostgresPool(databaseUrl, { max: 2 });
  try {
    await ensureEventStoreSchema(pool);
    const store = new PostgresEventStore(pool);
    const stream = `drop-${dropId}`;
    // After DropScheduled (0) and PreOrderWindowOpened (1).
    let expected = 1;
    const at = new Date().toISOString();
    const chunk = 2000;
    for (let n = 1; n <= events; n += chunk) {
      const batch: NewEvent[] = [];
      for (let i = n; i < Math.min(n + chunk, events + 1); i++) {
        const e = preOrderPlaced(dropId, i, at);
        batch.push({
          eventId: randomUUID(),
          type: e.type,
          schemaVersion: 1,
          data: e.data,
          metadata: e.metadata as unknown as EventMetadata,
        });
      }
      expected = (await store.appendToStream(stream, batch, expected)).nextExpectedRevision;
    }
    log(`seeded ${events} PreOrderPlaced on ${stream} (revision ${expected})`);
  } finally {
    await pool.end();
  }
}

async function waitForReadModel(url: string, dropId: string, revision: number, log: (m: string) => void): Promise<number> {
  const started = performance.now();
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const res = await fetch(`${url}/drops/${dropId}`);
    const body = res.ok ? ((await res.json()) as { readModel?: { asOfRevision?: number } }) : undefined;
    if ((body?.readModel?.asOfRevision ?? -1) >= revision) break;
    if (Date.now() > deadline) throw new Error(`the drops read model did not reach revision ${revision} in 15 minutes`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const seconds = (performance.now() - started) / 1000;
  log(`read model caught up with revision ${revision} in ${round(seconds, 1)} s`);
  return seconds;
}

export const scenario: Scenario = {
  name: 'public-read-load',
  description: 'anonymous storefront polling against a hot drop with a long stream: pre-order rate kept vs the buyers alone',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const events = numberFlag(ctx.args, 'events', 100_000);
    const buyers = numberFlag(ctx.args, 'buyers', 256);
    const pollers = numberFlag(ctx.args, 'pollers', 30);
    const seconds = numberFlag(ctx.args, 'seconds', 10);
    const warmupSeconds = numberFlag(ctx.args, 'warmup-seconds', 5);
    const db = await createBenchDatabase(ctx.databaseUrl, 'public_read_load');
    try {
      const engine = await startEngine(db.url);
      const rss = watchPeakRss(engine.child.pid!);
      let alone: LoadResult;
      let crowded: LoadResult;
      let polled: LoadResult;
      let catchUpS: number;
      let peakRssMiB: number | undefined;
      try {
        // A cap the run cannot sell out: the seeded units plus room for every buyer request.
        const dropId = await openDropOverHttp(engine.url, 10_000_000);
        await seed(db.url, dropId, events, ctx.log);
        catchUpS = await waitForReadModel(engine.url, dropId, events + 1, ctx.log);
        const token = await benchToken('till', 'bench-kiosk');
        const buy = (prefix: string) =>
          load({ url: engine.url, path: `/drops/${dropId}/pre-orders`, connections: buyers, seconds, untilSoldOut: false, prefix, token });
        // Warm-up, not measured: the writer catches up with the seeded stream once (one read of it),
        // and the projection with the first orders; neither belongs to either phase.
        ctx.log(`warm-up: ${buyers} buyers for ${warmupSeconds} s`);
        await load({
          url: engine.url,
          path: `/drops/${dropId}/pre-orders`,
          connections: buyers,
          seconds: warmupSeconds,
          untilSoldOut: false,
          prefix: 'warm',
          token,
        });
        ctx.log(`phase 1: ${buyers} buyers alone for ${seconds} s`);
        alone = await buy('alone');
        ctx.log(`phase 2: ${buyers} buyers and ${pollers} anonymous pollers of GET /drops/${dropId} for ${seconds} s`);
        [crowded, polled] = await Promise.all([
          buy('crowded'),
          load({
            url: engine.url,
            path: `/drops/${dropId}`,
            connections: pollers,
            seconds,
            untilSoldOut: false,
            prefix: 'poll',
            poll: true,
          }),
        ]);
      } catch (e) {
        throw new Error(`${e instanceof Error ? e.message : String(e)}\nengine output:\n${engine.output()}`);
      } finally {
        peakRssMiB = rss.stop();
        await engine.stop();
      }
      const rateAlone = alone.accepted / alone.durationS;
      const rateCrowded = crowded.accepted / crowded.durationS;
      const kept = rateAlone > 0 ? rateCrowded / rateAlone : 0;
      const row = (name: string, r: LoadResult, connections: number, ok: number) => ({
        load: name,
        connections,
        requests: r.requests,
        [`ok (201/200)`]: r.accepted,
        'ok/s': round(r.accepted / r.durationS),
        'p50 ms': r.p50,
        'p99 ms': r.p99,
        '429s': statusCount(r, 429),
        'other non-ok': r.requests - ok - statusCount(r, 429),
        '5xx': fiveXX(r),
      });
      return {
        scenario: 'public-read-load',
        rows: [
          row('buyers alone (pre-orders)', alone, buyers, alone.accepted),
          row('buyers beside the pollers (pre-orders)', crowded, buyers, crowded.accepted),
          row('anonymous pollers (GET /drops/:dropId)', polled, pollers, polled.accepted),
        ],
        summary: {
          'seeded events': events,
          'read model catch-up s': round(catchUpS, 1),
          'pre-orders/s alone': round(rateAlone),
          'pre-orders/s beside pollers': round(rateCrowded),
          'kept ratio': round(kept, 3),
          'public page p50 ms': polled.p50,
          'public page p99 ms': polled.p99,
          'public page req/s': round(polled.requestsPerS),
          '429 buyers': statusCount(alone, 429) + statusCount(crowded, 429),
          '429 pollers': statusCount(polled, 429),
          '5xx': fiveXX(alone) + fiveXX(crowded) + fiveXX(polled),
          'limits env': JSON.stringify(BENCH_LIMITS_ENV),
        },
        targets: {
          '>= 80% of the pre-order rate kept': kept >= 0.8,
          'zero 5xx': fiveXX(alone) + fiveXX(crowded) + fiveXX(polled) === 0,
        },
        peakRssMiB,
        notes: [
          `engine (PostgreSQL store), PostgreSQL and two autocannon processes share the machine's ${os.cpus().length} cores`,
          'anonymous GET /drops/:dropId answers the storefront view from the drops read model; it never reads the event log',
        ],
      };
    } finally {
      await db.drop();
    }
  },
};
