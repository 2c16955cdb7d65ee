import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Buckets of self time, in the order the issue asks about (framework, validation, decide, store). */
const BUCKETS: Array<[string, RegExp]> = [
  // The compiled validators (and the unstorable-text check) count as validation, so a before/after compares like with like.
  [
    'validation (compiled validators, class-validator, class-transformer)',
    /(node_modules\/(class-validator|class-transformer|validator|libphonenumber)|\/libs\/platform\/src\/http\/(compiled-validation|validation)\.)/,
  ],
  ['NestJS (router, pipes, filters, CQRS, rxjs)', /node_modules\/(@nestjs|rxjs|reflect-metadata|tslib)/],
  [
    'Fastify (HTTP parsing, routing, reply)',
    /node_modules\/(fastify|@fastify|find-my-way|light-my-request|avvio|fast-json-stringify|secure-json-parse|fast-querystring|fast-decode-uri|toad-cache|abstract-logging|pino)/,
  ],
  ['engine slices (controllers, handlers, context)', /\/apps\/engine\//],
  ['decide + evolve (libs/domain)', /\/libs\/domain\//],
  ['batching writer + envelope (libs/event-sourcing)', /\/libs\/event-sourcing\//],
  ['store adapter + pg driver', /(\/libs\/event-store\/|node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-))/],
  ['other npm packages', /node_modules\//],
  ['Node core (http, net, streams, crypto, timers)', /^node:/],
];

/**
 * Self time per bucket in % of the non-idle samples of the .cpuprofile files in `dir`, leaving out
 * the samples of each profile's first `skipMs` milliseconds (a server's start, before its load).
 */
export function summarizeCpuProfiles(dir: string, skipMs = 0): Array<{ where: string; percent: number }> {
  const totals = new Map<string, number>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const bucketOf = new Map<number, string>();
    for (const node of profile.nodes) {
      const { url, functionName } = node.callFrame;
      let bucket: string;
      if (functionName === '(idle)') bucket = 'idle';
      else if (functionName === '(garbage collector)') bucket = 'garbage collector';
      else if (functionName === '(program)') bucket = 'V8/native (program)';
      else if (url === '') bucket = 'builtins (JSON, crypto, Buffer, RegExp)';
      else bucket = BUCKETS.find(([, re]) => re.test(url))?.[0] ?? 'other';
      bucketOf.set(node.id, bucket);
    }
    let elapsedUs = 0;
    profile.samples.forEach((id, i) => {
      elapsedUs += profile.timeDeltas[i] ?? 0;
      if (elapsedUs < skipMs * 1000) return;
      const bucket = bucketOf.get(id) ?? 'other';
      totals.set(bucket, (totals.get(bucket) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
  }
  totals.delete('idle');
  const busy = [...totals.values()].reduce((a, b) => a + b, 0) || 1;
  return [...totals.entries()]
    .map(([where, t]) => ({ where, percent: Math.round((1000 * t) / busy) / 10 }))
    .sort((a, b) => b.percent - a.percent);
}

interface HeapProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: HeapProfileNode[];
}

/**
 * What a sampling heap profile (load/alloc-sampler.ts) says was allocated: bytes per request (`requests`
 * made while it sampled) and the share of each bucket of summarizeCpuProfiles, by the function that
 * allocated, with the promise tracking of AsyncLocalStorage (async hooks) apart.
 */
export function summarizeAllocations(
  file: string,
  requests: number,
): { bytesPerRequest: number; buckets: Array<{ where: string; percent: number }> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { head?: HeapProfileNode; error?: string };
  if (!profile.head) throw new Error(`no heap profile: ${profile.error ?? 'empty'}`);
  const totals = new Map<string, number>();
  let total = 0;
  const visit = (node: HeapProfileNode): void => {
    const { url, functionName } = node.callFrame;
    let bucket: string;
    if (url === 'node:internal/async_hooks' || url === 'node:async_hooks') bucket = 'async hooks (promise tracking for AsyncLocalStorage)';
    else if (url === '') bucket = functionName.startsWith('(') ? 'V8/native' : 'builtins (JSON, crypto, Buffer, RegExp)';
    else bucket = BUCKETS.find(([, re]) => re.test(url))?.[0] ?? 'other';
    totals.set(bucket, (totals.get(bucket) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  const buckets = [...totals.entries()]
    .map(([where, bytes]) => ({ where, percent: Math.round((1000 * bytes) / (total || 1)) / 10 }))
    .sort((a, b) => b.percent - a.percent);
  return { bytesPerRequest: requests > 0 ? total / requests : 0, buckets };
}

/**
 * Where the start of a process goes, by the frames on each sample's stack (inclusive: a sample
 * under `require` inside PGlite counts as module loading): loading modules (resolve, read,
 * compile and run each module's top level), the embedded PostgreSQL (PGlite: WebAssembly compile,
 * initdb or recovery, the first queries), and the rest (Nest's container and routes, Swagger,
 * migrations, the workers' first reads). Milliseconds of non-idle samples, largest first.
 */
export function summarizeStartupProfile(file: string): Array<{ where: string; ms: number }> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const STARTUP_BUCKETS: Array<[string, (frame: ProfileNode['callFrame']) => boolean]> = [
    ['loading modules (require: resolve, read, compile, top level)', (f) => f.functionName === 'Module._load'],
    ['embedded PostgreSQL (PGlite, its WebAssembly)', (f) => f.url.startsWith('wasm://') || /@electric-sql\/pglite/.test(f.url)],
    ['Swagger document', (f) => /@nestjs\/swagger/.test(f.url)],
    ['NestJS container, routes, Fastify', (f) => /node_modules\/(@nestjs|fastify|@fastify|find-my-way|avvio)/.test(f.url)],
    ['garbage collector', (f) => f.functionName === '(garbage collector)'],
  ];
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    if (byId.get(id)?.callFrame.functionName === '(idle)') return;
    const frames: ProfileNode['callFrame'][] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) frames.push(byId.get(at)!.callFrame);
    // The first bucket, in this order, that any frame on the stack matches (a require under PGlite's loader is module loading).
    let bucket = 'other (engine code, node core, builtins)';
    for (const [name, matches] of STARTUP_BUCKETS)
      if (frames.some(matches)) {
        bucket = name;
        break;
      }
    totals.set(bucket, (totals.get(bucket) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals.entries()].map(([where, ms]) => ({ where, ms: Math.round(ms) })).sort((a, b) => b.ms - a.ms);
}
