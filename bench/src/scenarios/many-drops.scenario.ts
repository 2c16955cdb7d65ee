import { DomainError, preOrderIdFor } from '@dropline/domain';
import type { CommandBus } from '@nestjs/cqrs';
import { Pool } from 'pg';
import { PlacePreOrderCommand } from '../../../apps/engine/src/pre-orders/place-pre-order/place-pre-order.command';
import type { BenchContext, BenchResult, Scenario } from '../scenario';
import { createBenchDatabase } from '../support/database';
import { benchContext, HOT_SKU } from '../support/drops';
import { emmett } from '../support/emmett';
import { BENCH_NOW, openHotDrop, startInProcessEngine } from '../support/engine';
import { preOrderPlaced } from '../support/seed';
import { Latencies, numberFlag, ownPeakRssMiB, round, since } from '../support/stats';

/*
 * many-drops: --drops (1 000) open drops, --buyers (256) concurrent buyers each placing
 * 1-unit pre-orders on a random drop for --seconds (10), through the engine's CommandBus on
 * PostgreSQL. Baseline in the same run and database: emmett-postgresql appending the same
 * PreOrderPlaced events to 1 000 streams at the same concurrency, and (for reference) one
 * plain INSERT per append into a bare table.
 */

interface Measured {
  done: number;
  errors: number;
  seconds: number;
  latencies: Latencies;
  firstError?: string;
}

async function forSeconds(seconds: number, workers: number, work: (worker: number, n: number) => Promise<void>): Promise<Measured> {
  const latencies = new Latencies();
  const m: Measured = { done: 0, errors: 0, seconds, latencies };
  let n = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < deadline && m.errors < 1000) {
        const t0 = performance.now();
        try {
          await work(w, n++);
          latencies.add(since(t0));
          m.done++;
        } catch (e) {
          m.errors++;
          m.firstError ??= e instanceof DomainError ? e.code : e instanceof Error ? e.message : String(e);
        }
      }
    }),
  );
  m.seconds = since(start) / 1000;
  return m;
}

function row(variant: string, concurrency: number, m: Measured): Record<string, string | number> {
  const l = m.latencies.summary();
  return {
    variant,
    concurrency,
    'appends/accepted': m.done,
    'per s': round(m.done / m.seconds),
    'p50 ms': l.p50,
    'p99 ms': l.p99,
    errors: m.errors,
  };
}

async function placeOn(bus: CommandBus, dropId: string, customerId: string): Promise<void> {
  await bus.execute(
    new PlacePreOrderCommand(
      {
        dropId,
        preOrderId: preOrderIdFor(dropId, customerId, 'k'),
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
}

export const scenario: Scenario = {
  name: 'many-drops',
  description: '1 000 drops, concurrent buyers spread over them; baseline: emmett-postgresql appends of the same events',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const drops = numberFlag(ctx.args, 'drops', 1000);
    const buyers = numberFlag(ctx.args, 'buyers', 256);
    const baselineConcurrency = numberFlag(ctx.args, 'baseline-concurrency', buyers);
    const seconds = numberFlag(ctx.args, 'seconds', 10);
    const db = await createBenchDatabase(ctx.databaseUrl, 'many_drops');
    const rows: Array<Record<string, string | number>> = [];
    try {
      // --- ours
      const engine = await startInProcessEngine('postgres', db.url);
      let ours: Measured;
      try {
        const ids = Array.from({ length: drops }, (_, i) => `many-${i}`);
        const t0 = performance.now();
        for (let i = 0; i < ids.length; i += 50)
          await Promise.all(ids.slice(i, i + 50).map((id) => openHotDrop(engine.bus, id, 10_000_000)));
        ctx.log(`opened ${drops} drops in ${round(since(t0) / 1000, 1)} s; ${buyers} buyers for ${seconds} s`);
        ours = await forSeconds(seconds, buyers, (w, n) => placeOn(engine.bus, ids[(Math.random() * drops) | 0], `c-${w}-${n}`));
      } finally {
        await engine.close();
      }
      rows.push(row('engine: CommandBus → batching writer', buyers, ours));
      ctx.log(`engine: ${round(ours.done / ours.seconds)} accepted/s${ours.firstError ? ` (first error: ${ours.firstError})` : ''}`);

      // --- baseline: emmett-postgresql, same events, same database
      const { getPostgreSQLEventStore } = emmett();
      const store = getPostgreSQLEventStore(db.url);
      let base: Measured;
      try {
        await store.schema.migrate();
        base = await forSeconds(seconds, baselineConcurrency, async (w, n) => {
          const dropId = `em-${(Math.random() * drops) | 0}`;
          const e = preOrderPlaced(dropId, n, BENCH_NOW);
          await store.appendToStream(`drop-${dropId}`, [{ type: e.type, data: e.data, metadata: e.metadata }]);
        });
      } finally {
        await store.close();
      }
      rows.push(row('baseline: emmett-postgresql appendToStream', baselineConcurrency, base));
      ctx.log(`emmett: ${round(base.done / base.seconds)} appends/s${base.firstError ? ` (first error: ${base.firstError})` : ''}`);

      // --- reference: one plain INSERT per append (no stream revision at all)
      const pool = new Pool({ connectionString: db.url, max: 10 });
      let plain: Measured;
      try {
        await pool.query(
          `CREATE TABLE plain_events (id bigserial PRIMARY KEY, stream_name text NOT NULL, type text NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL)`,
        );
        plain = await forSeconds(seconds, baselineConcurrency, async (w, n) => {
          const dropId = `plain-${(Math.random() * drops) | 0}`;
          const e = preOrderPlaced(dropId, n, BENCH_NOW);
          await pool.query(`INSERT INTO plain_events (stream_name, type, data, metadata) VALUES ($1, $2, $3, $4)`, [
            `drop-${dropId}`,
            e.type,
            e.data,
            e.metadata,
          ]);
        });
      } finally {
        await pool.end();
      }
      rows.push(row('reference: plain INSERT per append', baselineConcurrency, plain));

      const oursPerS = ours.done / ours.seconds;
      const basePerS = base.done / base.seconds;
      return {
        scenario: 'many-drops',
        rows,
        summary: {
          'accepted/s': round(oursPerS),
          'emmett appends/s': round(basePerS),
          'ratio vs emmett': round(oursPerS / basePerS, 2),
          'plain INSERT/s': round(plain.done / plain.seconds),
          errors: ours.errors,
        },
        targets: {
          'accepted/s >= 5000': oursPerS >= 5000,
          '>= 2x emmett-postgresql': oursPerS >= 2 * basePerS,
          'no errors': ours.errors === 0,
        },
        peakRssMiB: ownPeakRssMiB(),
        notes: [`${drops} drops; engine in-process with the buyers; pools of 10 connections on every side`],
      };
    } finally {
      await db.drop();
    }
  },
};
