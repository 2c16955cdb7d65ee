import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext, BenchResult, Scenario } from '../scenario';
import { summarizeStartupProfile } from '../support/cpu-profile';
import { HOT_SKU, hotDropDefinition } from '../support/drops';
import { BENCH_LIMITS_ENV, ENGINE_MAIN, ENGINE_NODE_FLAGS, freePort, jsonWithToken } from '../support/http-engine';
import { startOtlpSink } from '../support/otlp-sink';
import { Latencies, numberFlag, peakRssOfPid, round } from '../support/stats';

/*
 * Startup and memory on the embedded default (issue 18): the built engine as a child process
 * with no DATABASE_URL (PGlite under a fresh DATA_DIR, development auth), every production default
 * on: the documented benchmark rate limits (BENCH_LIMITS_ENV), security headers, metrics, tracing
 * with its default sampler (parentbased_always_on) to an OTLP sink in this process, JSON logs at
 * `log` (info) level. Each one is checked on the running engine, not assumed, and printed.
 *
 *   cold    spawn → first 200 from /health/ready on an empty DATA_DIR (initdb, schema, migrations)
 *   warm    SIGTERM, then spawn again on the same DATA_DIR → first 200 from /health/ready
 *           (both also as CPU ms used by then, from /proc/<pid>/stat: less moved by a busy machine)
 *   idle    VmRSS of the warm engine after --settle-seconds (5) with no traffic (the aim's figure),
 *           and again --idle-seconds (60) after ready, once V8's memory reducer has had time to run
 *   after   VmRSS after --pre-orders (10,000) accepted pre-orders over HTTP (the dev till token,
 *           kiosk channel, one named customer each, --connections 32), settled again; and VmHWM.
 *           Both RSS figures come with the engine's own V8 heap and external memory (its /metrics).
 *
 * Then (unless --no-profile) one more warm start under `node --cpu-prof`, bucketed by where the
 * start goes. Aims (issue 18): warm start ≤ 2 s, idle RSS ≤ 300 MB.
 */

const WARM_START_AIM_MS = 2000;
/** The aim is 300 MB, decimal as the issue wrote it: 286.1 MiB, the unit RSS is measured in here. */
const IDLE_RSS_AIM_MIB = round(300e6 / 2 ** 20, 1);

interface RunningEngine {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn to the first 200 of /health/ready. */
  readyMs: number;
  /** CPU ms the engine had used by then. */
  readyCpuMs: number | undefined;
  lines(): string[];
  stop(): Promise<number>;
}

function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? round(Number(match[1]) / 1024, 1) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) the process has used so far, in ms: what a start costs, less moved by other load than wall time. */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of /proc/<pid>/stat (11 and 12 after the command name), in clock ticks (100/s on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** V8 heap in use and memory outside it (PGlite's WebAssembly memory, buffers), in MiB, from the engine's own metrics. */
async function memoryBreakdown(url: string, token: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const metric = (name: string) => {
    const match = new RegExp(`^dropline_${name} (\\S+)$`, 'm').exec(text);
    return match ? `${round(Number(match[1]) / 2 ** 20)} MiB` : '?';
  };
  return `V8 heap used ${metric('nodejs_heap_size_used_bytes')} of ${metric('nodejs_heap_size_total_bytes')}, external ${metric('nodejs_external_memory_bytes')}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startEmbedded(dataDir: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<RunningEngine> {
  const port = await freePort();
  let out = '';
  const started = performance.now();
  const child = spawn(process.execPath, [...ENGINE_NODE_FLAGS, ...nodeArgs, ENGINE_MAIN], {
    cwd: path.resolve(ENGINE_MAIN, '../../../../..'),
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.NODE_PATH ? { NODE_PATH: process.env.NODE_PATH } : {}),
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<number>((resolve) => {
      const asked = performance.now();
      if (child.exitCode !== null || child.signalCode !== null) return resolve(0);
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve(performance.now() - asked);
      });
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`engine exited with ${child.exitCode}:\n${out.slice(-5000)}`);
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`engine not ready within 120 s:\n${out.slice(-5000)}`);
    }
    await sleep(20);
  }
  const readyMs = performance.now() - started;
  return { child, url, readyMs, readyCpuMs: cpuMs(child.pid!), lines: () => out.split('\n').filter(Boolean), stop };
}

/** The development tokens the embedded engine logs once per start (the `devTokens` JSON log line). */
function devTokensOf(engine: RunningEngine): Record<string, string> {
  for (const line of engine.lines()) {
    try {
      const parsed = JSON.parse(line) as { devTokens?: Record<string, string> };
      if (parsed.devTokens) return parsed.devTokens;
    } catch {
      /* not a JSON line */
    }
  }
  throw new Error('the engine logged no devTokens line');
}

/** Places `count` one-unit pre-orders through `connections` concurrent loops; statuses and latency. */
async function placePreOrders(url: string, dropId: string, tillToken: string, count: number, connections: number) {
  const statuses: Record<string, number> = {};
  const latency = new Latencies();
  let next = 0;
  const started = performance.now();
  const loop = async () => {
    for (let i = next++; i < count; i = next++) {
      const t = performance.now();
      const res = await fetch(`${url}/drops/${dropId}/pre-orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tillToken}`, 'content-type': 'application/json', 'idempotency-key': `startup-k-${i}` },
        body: JSON.stringify({
          customerId: `startup-c-${i}`,
          sku: HOT_SKU,
          quantity: 1,
          channel: 'kiosk',
          fulfillment: { method: 'ship' },
        }),
      });
      await res.arrayBuffer();
      latency.add(performance.now() - t);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return { statuses, seconds: (performance.now() - started) / 1000, latency };
}

export const startupScenario: Scenario = {
  name: 'startup',
  description: 'cold and warm start of the embedded engine, idle RSS and RSS after 10,000 pre-orders, with production defaults on',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const preOrders = numberFlag(ctx.args, 'pre-orders', 10_000);
    const connections = numberFlag(ctx.args, 'connections', 32);
    const settleMs = numberFlag(ctx.args, 'settle-seconds', 5) * 1000;
    const idleMs = numberFlag(ctx.args, 'idle-seconds', 60) * 1000;
    const profile = !ctx.args.includes('--no-profile');
    const sink = await startOtlpSink();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dropline-bench-startup-'));
    const env = {
      ...BENCH_LIMITS_ENV,
      METRICS_ENABLED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'log',
    };
    const engines: RunningEngine[] = [];
    try {
      // --- cold: a fresh DATA_DIR
      const cold = await startEmbedded(path.join(dataDir, 'data'), env);
      engines.push(cold);
      ctx.log(`cold start: ready in ${round(cold.readyMs)} ms`);
      const coldStopMs = await cold.stop();

      // --- warm: the same DATA_DIR
      const warm = await startEmbedded(path.join(dataDir, 'data'), env);
      const readyAt = performance.now();
      engines.push(warm);
      const pid = warm.child.pid!;
      ctx.log(`warm start: ready in ${round(warm.readyMs)} ms; settling ${settleMs / 1000} s`);
      await sleep(settleMs);
      const idleRss = rssMiB(pid);

      // --- which production defaults are on, seen from outside
      const tokens = devTokensOf(warm);
      const ready = await fetch(`${warm.url}/health/ready`);
      const securityHeaders = ready.headers.get('x-content-type-options') === 'nosniff' && ready.headers.has('strict-transport-security');
      const authed = await fetch(`${warm.url}/drops/none/history`, { headers: { authorization: `Bearer ${tokens.ops}` } });
      await authed.arrayBuffer();
      const rateLimit = authed.headers.get('x-ratelimit-limit');
      const metrics = (await fetch(`${warm.url}/metrics`, { headers: { authorization: `Bearer ${tokens.ops}` } })).status === 200;
      const idleMemory = await memoryBreakdown(warm.url, tokens.ops);
      // Longer idle: V8's memory reducer shrinks the heap once allocation has stayed low for a while.
      ctx.log(`idle until ${idleMs / 1000} s after ready`);
      await sleep(Math.max(0, idleMs - (performance.now() - readyAt)));
      const longIdleRss = rssMiB(pid);
      const longIdleMemory = await memoryBreakdown(warm.url, tokens.ops);

      // --- 10,000 pre-orders on one drop (a cap they do not reach)
      const definition = { ...hotDropDefinition(preOrders * 10, new Date(Date.now() - 60_000).toISOString()), channels: ['web', 'kiosk'] };
      const { dropId } = await jsonWithToken(`${warm.url}/drops`, tokens.ops, 'POST', definition);
      await jsonWithToken(`${warm.url}/drops/${dropId}/open`, tokens.ops, 'POST');
      ctx.log(`placing ${preOrders} pre-orders over ${connections} connections`);
      const placed = await placePreOrders(warm.url, dropId, tokens.till, preOrders, connections);
      ctx.log(`placed: ${JSON.stringify(placed.statuses)} in ${round(placed.seconds, 1)} s`);
      await sleep(settleMs);
      const afterRss = rssMiB(pid);
      const afterMemory = await memoryBreakdown(warm.url, tokens.ops);
      const peakRss = peakRssOfPid(pid);
      const exported = sink.received();
      const logLines = warm.lines();
      const jsonLogs = logLines.length > 0 && logLines.every((l) => l.startsWith('{'));
      const infoLines = logLines.filter((l) => l.includes('"level":"info"')).length;
      const warmStopMs = await warm.stop();

      // --- one more warm start under --cpu-prof: where the start goes
      let profileNotes: string[] = [];
      if (profile) {
        const profileDir = path.join(dataDir, 'profile');
        mkdirSync(profileDir);
        const profiled = await startEmbedded(path.join(dataDir, 'data'), env, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
        engines.push(profiled);
        const profiledReadyMs = profiled.readyMs;
        await profiled.stop();
        const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
        if (file) {
          const buckets = summarizeStartupProfile(path.join(profileDir, file));
          profileNotes = [
            `warm start under --cpu-prof (ready in ${round(profiledReadyMs)} ms; samples until SIGTERM), inclusive CPU ms:`,
            ...buckets.map((b) => `  ${String(b.ms).padStart(6)} ms  ${b.where}`),
          ];
        }
      }

      const accepted = placed.statuses['201'] ?? 0;
      const latency = placed.latency.summary();
      const on = {
        'rate limits': rateLimit ? `on (x-ratelimit-limit ${rateLimit}: BENCH_LIMITS_ENV)` : 'OFF',
        'security headers': securityHeaders ? 'on (nosniff, HSTS)' : 'OFF',
        metrics: metrics ? 'on (GET /metrics 200)' : 'OFF',
        tracing:
          exported.requests > 0
            ? `on (parentbased_always_on; ${exported.requests} OTLP exports to the sink)`
            : 'OFF (no export reached the sink)',
        logs: jsonLogs ? `JSON at level log/info (${infoLines} info lines)` : 'NOT all JSON',
      };
      return {
        scenario: 'startup',
        rows: [
          {
            measure: 'cold start (fresh DATA_DIR) → /health/ready 200',
            value: `${round(cold.readyMs)} ms (${cold.readyCpuMs ?? '?'} ms CPU)`,
          },
          {
            measure: 'warm start (same DATA_DIR) → /health/ready 200',
            value: `${round(warm.readyMs)} ms (${warm.readyCpuMs ?? '?'} ms CPU)`,
          },
          { measure: `idle RSS (${settleMs / 1000} s after ready)`, value: `${idleRss ?? '?'} MiB (${idleMemory})` },
          { measure: `idle RSS (${idleMs / 1000} s after ready)`, value: `${longIdleRss ?? '?'} MiB (${longIdleMemory})` },
          { measure: `RSS after ${preOrders} pre-orders (settled)`, value: `${afterRss ?? '?'} MiB (${afterMemory})` },
          { measure: 'peak RSS (VmHWM) of the warm engine', value: `${peakRss ?? '?'} MiB` },
          {
            measure: 'pre-orders',
            value: `${accepted} × 201 of ${preOrders} in ${round(placed.seconds, 1)} s, p50 ${latency.p50} ms, p99 ${latency.p99} ms`,
          },
          { measure: 'graceful stop (SIGTERM → exit), cold / warm', value: `${round(coldStopMs)} / ${round(warmStopMs)} ms` },
        ],
        summary: {
          coldStartMs: round(cold.readyMs),
          warmStartMs: round(warm.readyMs),
          coldStartCpuMs: cold.readyCpuMs ?? -1,
          warmStartCpuMs: warm.readyCpuMs ?? -1,
          idleRssMiB: idleRss ?? -1,
          longIdleRssMiB: longIdleRss ?? -1,
          rssAfterPreOrdersMiB: afterRss ?? -1,
          preOrdersAccepted: accepted,
          statuses: JSON.stringify(placed.statuses),
          ...Object.fromEntries(Object.entries(on).map(([k, v]) => [`production default: ${k}`, v])),
        },
        targets: {
          [`warm start <= ${WARM_START_AIM_MS} ms`]: warm.readyMs <= WARM_START_AIM_MS,
          [`idle RSS <= 300 MB (${IDLE_RSS_AIM_MIB} MiB)`]: idleRss !== undefined && idleRss <= IDLE_RSS_AIM_MIB,
          [`all ${preOrders} pre-orders accepted`]: accepted === preOrders,
        },
        peakRssMiB: peakRss,
        notes: profileNotes,
      };
    } finally {
      for (const engine of engines) await engine.stop();
      await sink.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
