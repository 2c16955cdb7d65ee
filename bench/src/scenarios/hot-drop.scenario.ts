import { DomainError, dropStreamName, preOrderIdFor } from '@dropline/domain';
import type { CommandBus } from '@nestjs/cqrs';
import { PlacePreOrderCommand } from '../../../apps/engine/src/pre-orders/place-pre-order/place-pre-order.command';
import { dropEventSchema } from '../../../apps/engine/src/drops/drop-writer';
import type { BenchContext, BenchResult, Scenario } from '../scenario';
import { createBenchDatabase } from '../support/database';
import { benchContext, HOT_SKU } from '../support/drops';
import { BENCH_NOW, openHotDrop, startInProcessEngine, StoreKind, unitsPlaced } from '../support/engine';
import { DeadlineError, NaiveWriter } from '../support/naive-writer';
import { flag, Latencies, numberFlag, ownPeakRssMiB, round, since } from '../support/stats';

/*
 * hot-drop: one drop, one variant capped at --cap (100 000), --buyers (256) concurrent buyers
 * placing 1-unit pre-orders through the engine's CommandBus until the drop is sold out and at
 * least --attempts (150 000) were made. Then the baseline on the same store: a naive writer
 * (one append per command, retry on conflict, cached state) for a fixed --baseline-seconds.
 */

interface RunOutcome {
  accepted: number;
  attempts: number;
  soldOutRejections: number;
  otherErrors: number;
  /** Time from the first attempt to the last accepted pre-order. */
  sellOutMs: number;
  latencies: Latencies;
  firstError?: string;
}

async function buyUntilSoldOut(bus: CommandBus, dropId: string, cap: number, buyers: number, minAttempts: number): Promise<RunOutcome> {
  const latencies = new Latencies();
  const out: RunOutcome = { accepted: 0, attempts: 0, soldOutRejections: 0, otherErrors: 0, sellOutMs: 0, latencies };
  let soldOut = false;
  const start = performance.now();
  const buyer = async (b: number) => {
    while (!(soldOut && out.attempts >= minAttempts) && out.otherErrors < 1000) {
      const n = out.attempts++;
      const customerId = `c-${b}-${n}`;
      const key = `k-${n}`;
      const t0 = performance.now();
      try {
        await bus.execute(
          new PlacePreOrderCommand(
            {
              dropId,
              preOrderId: preOrderIdFor(dropId, customerId, key),
              customerId,
              sku: HOT_SKU,
              quantity: 1,
              channel: 'web',
              fulfillment: { method: 'ship' },
              isRepeatCustomer: false,
              idempotencyFingerprint: `${customerId}/1`,
            },
            benchContext(BENCH_NOW),
          ),
        );
        latencies.add(since(t0));
        out.accepted++;
        out.sellOutMs = since(start);
      } catch (error) {
        if (error instanceof DomainError && error.code === 'DROP.SOLD_OUT') {
          soldOut = true;
          out.soldOutRejections++;
        } else {
          out.otherErrors++;
          out.firstError ??= error instanceof Error ? `${(error as { code?: string }).code ?? ''} ${error.message}` : String(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: buyers }, (_, b) => buyer(b)));
  if (out.accepted < cap) out.sellOutMs = since(start);
  return out;
}

async function naiveForSeconds(
  writer: NaiveWriter,
  dropId: string,
  buyers: number,
  seconds: number,
): Promise<{ accepted: number; attempts: number; conflicts: number; latencies: Latencies; otherErrors: number; unfinished: number }> {
  const latencies = new Latencies();
  let accepted = 0;
  let attempts = 0;
  let otherErrors = 0;
  let unfinished = 0;
  const deadline = performance.now() + seconds * 1000;
  const buyer = async (b: number) => {
    while (performance.now() < deadline) {
      const n = attempts++;
      const customerId = `n-${b}-${n}`;
      const t0 = performance.now();
      try {
        await writer.execute(
          {
            type: 'PlacePreOrder',
            dropId,
            preOrderId: preOrderIdFor(dropId, customerId, `k-${n}`),
            customerId,
            sku: HOT_SKU,
            quantity: 1,
            channel: 'web',
            fulfillment: { method: 'ship' },
            isRepeatCustomer: false,
            idempotencyFingerprint: `${customerId}/1`,
            now: BENCH_NOW,
          },
          benchContext(BENCH_NOW),
          deadline,
        );
        latencies.add(since(t0));
        accepted++;
      } catch (error) {
        if (error instanceof DeadlineError) unfinished++;
        else otherErrors++;
      }
    }
  };
  await Promise.all(Array.from({ length: buyers }, (_, b) => buyer(b)));
  return { accepted, attempts, conflicts: writer.conflicts, latencies, otherErrors, unfinished };
}

async function runOn(kind: StoreKind, ctx: BenchContext, o: { cap: number; buyers: number; attempts: number; baselineSeconds: number }) {
  const db = kind === 'postgres' ? await createBenchDatabase(ctx.databaseUrl, 'hot_drop') : undefined;
  let engine: Awaited<ReturnType<typeof startInProcessEngine>> | undefined;
  try {
    engine = await startInProcessEngine(kind, db?.url);
    const dropId = `hot-${kind}`;
    await openHotDrop(engine.bus, dropId, o.cap);
    ctx.log(`${kind}: ${o.buyers} buyers on a cap of ${o.cap}`);
    const run = await buyUntilSoldOut(engine.bus, dropId, o.cap, o.buyers, o.attempts);
    const stored = await unitsPlaced(engine.pool, dropStreamName(dropId));
    ctx.log(
      `${kind}: sold ${run.accepted} in ${round(run.sellOutMs / 1000, 2)} s (${run.attempts} attempts, ${run.otherErrors} other errors${run.firstError ? `, first: ${run.firstError}` : ''}); baseline for ${o.baselineSeconds} s`,
    );

    // Baseline on the same store, a drop of its own big enough never to sell out.
    const baselineDrop = `naive-${kind}`;
    await openHotDrop(engine.bus, baselineDrop, 10_000_000);
    const naive = new NaiveWriter(engine.store, dropStreamName(baselineDrop), dropEventSchema);
    await naive.load();
    const base = await naiveForSeconds(naive, baselineDrop, o.buyers, o.baselineSeconds);
    const lat = run.latencies.summary();
    const baseLat = base.latencies.summary();
    const acceptedPerS = run.accepted / (run.sellOutMs / 1000);
    const basePerS = base.accepted / o.baselineSeconds;
    return {
      kind,
      acceptedPerS,
      basePerS,
      p99: lat.p99,
      exact: run.accepted === o.cap && stored === o.cap,
      rows: [
        {
          store: kind,
          writer: 'batching (engine, CommandBus)',
          run: 'until sold out',
          attempts: run.attempts,
          accepted: run.accepted,
          'stored units': stored,
          'accepted/s': round(acceptedPerS),
          'p50 ms': lat.p50,
          'p99 ms': lat.p99,
          'max ms': lat.max,
          errors: run.otherErrors,
          'unfinished at end': 0,
        },
        {
          store: kind,
          writer: 'baseline: naive (1 append/command)',
          run: `${o.baselineSeconds} s`,
          attempts: base.attempts,
          accepted: base.accepted,
          'stored units': '',
          'accepted/s': round(basePerS),
          'p50 ms': baseLat.p50,
          'p99 ms': baseLat.p99,
          'max ms': baseLat.max,
          errors: base.otherErrors,
          'unfinished at end': base.unfinished,
        },
      ] as Array<Record<string, string | number>>,
      conflicts: base.conflicts,
    };
  } finally {
    await engine?.close();
    await db?.drop();
  }
}

export const scenario: Scenario = {
  name: 'hot-drop',
  description:
    'one drop, one variant, 256 buyers through the CommandBus until sold out, on PostgreSQL and PGlite; baseline: one append per command',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const cap = numberFlag(ctx.args, 'cap', 100_000);
    const o = {
      cap,
      buyers: numberFlag(ctx.args, 'buyers', 256),
      attempts: numberFlag(ctx.args, 'attempts', Math.ceil(cap * 1.5)),
      baselineSeconds: numberFlag(ctx.args, 'baseline-seconds', numberFlag(ctx.args, 'seconds', 20)),
    };
    const stores = (flag(ctx.args, 'stores') ?? 'postgres,pglite').split(',') as StoreKind[];
    const results = [];
    for (const kind of stores) results.push(await runOn(kind, ctx, o));
    const pg = results.find((r) => r.kind === 'postgres');
    const summary: Record<string, string | number | boolean> = {};
    for (const r of results) {
      summary[`${r.kind} accepted/s`] = round(r.acceptedPerS);
      summary[`${r.kind} baseline accepted/s`] = round(r.basePerS, 1);
      summary[`${r.kind} ratio vs baseline`] = round(r.acceptedPerS / r.basePerS, 1);
      summary[`${r.kind} baseline conflicts`] = r.conflicts;
      summary[`${r.kind} accepted units == cap`] = r.exact;
    }
    const targets: Record<string, boolean> = {};
    if (pg) {
      targets['PostgreSQL accepted/s >= 20000'] = pg.acceptedPerS >= 20_000;
      targets['PostgreSQL p99 <= 25 ms'] = pg.p99 <= 25;
      targets['PostgreSQL >= 100x baseline'] = pg.acceptedPerS >= 100 * pg.basePerS;
    }
    for (const r of results) targets[`${r.kind}: accepted units == cap exactly`] = r.exact;
    return {
      scenario: 'hot-drop',
      rows: results.flatMap((r) => r.rows),
      summary,
      targets,
      peakRssMiB: ownPeakRssMiB(),
      notes: ['engine in-process with the buyers (peak RSS covers both stores run in turn)'],
    };
  },
};
