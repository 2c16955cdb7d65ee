import { ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mintToken } from '@dropline/platform';
import type { LoadRequest, LoadResult } from '../load/autocannon.worker';
import { hotDropDefinition } from './drops';

// The built engine as its own OS process, and the forked autocannon load generator: what the
// scenarios that measure over HTTP (hot-drop-http, public-read-load) share.

/**
 * The rate limits every HTTP benchmark engine runs with (docs/benchmarks.md, docs/security.md):
 * on, because their keying and counting are part of every request's cost, at documented benchmark
 * values. One kiosk token places every buyer's pre-order in hot-drop-http (≈ 400/s, over the
 * default 6,000 per minute per subject), and public-read-load's 30 anonymous pollers share one
 * address (over the default 1,200 per minute per address); the 429s a scenario still gets are
 * counted and reported apart from its successes.
 */
export const BENCH_LIMITS_ENV: Readonly<Record<string, string>> = Object.freeze({
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_AUTHENTICATED: '100000000',
  RATE_LIMIT_ANONYMOUS: '100000000',
});

/** BENCH_LIMITS_ENV in words, for the report. */
export const BENCH_LIMITS_SUMMARY = `on, ${BENCH_LIMITS_ENV.RATE_LIMIT_AUTHENTICATED}/min per token subject and per anonymous address`;

const ROOT = path.resolve(__dirname, '../../../..');
/** The built engine's entry point (`npm run build`). */
export const ENGINE_MAIN = path.join(ROOT, 'dist/apps/engine/src/main.js');

/**
 * The Node.js flags `npm start` runs the engine with (package.json's `start` script: a larger
 * young generation, docs/operations.md), so that every benchmark measures the engine as users
 * start it. Read from the script itself, so the two cannot drift apart.
 */
export const ENGINE_NODE_FLAGS: readonly string[] = (() => {
  const start = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
  const m = /^node((?: --[^\s]+)*) dist\/apps\/engine\/src\/main\.js$/.exec(start);
  if (!m) throw new Error(`package.json's start script is not "node [--flags] dist/apps/engine/src/main.js": ${start}`);
  return m[1].split(' ').filter(Boolean);
})();

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface Engine {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `dist/apps/engine/src/main.js` on a free port (EVENT_STORE=postgres, production auth) and waits for /health/live. */
export async function startEngine(
  databaseUrl: string,
  extraNodeArgs: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<Engine> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dropline-bench-http-'));
  let out = '';
  const child = spawn(process.execPath, [...ENGINE_NODE_FLAGS, ...extraNodeArgs, ENGINE_MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.NODE_PATH ? { NODE_PATH: process.env.NODE_PATH } : {}),
      HOST: '127.0.0.1',
      PORT: String(port),
      EVENT_STORE: 'postgres',
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      // Production mode: every request's token is verified, as in a real deployment.
      JWT_SECRET: BENCH_JWT.secret,
      JWT_ISSUER: BENCH_JWT.issuer,
      JWT_AUDIENCE: BENCH_JWT.audience,
      ...BENCH_LIMITS_ENV,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        rmSync(dataDir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(kill);
        done();
      });
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`engine exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`engine did not start within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child, output: () => out, stop };
}

/** The signing key the benchmark's engine verifies with (HS256; a fresh one per run). */
const BENCH_JWT = { secret: randomBytes(48).toString('base64url'), issuer: 'urn:dropline:bench', audience: 'dropline-engine' };

export function benchToken(role: 'ops' | 'till', sub: string): Promise<string> {
  return mintToken(BENCH_JWT.secret, role, sub, { issuer: BENCH_JWT.issuer, audience: BENCH_JWT.audience, expiresIn: '2h' });
}

/** One JSON request as ops; throws on a non-2xx answer. */
export async function json(url: string, method: string, body?: unknown): Promise<any> {
  return jsonWithToken(url, await benchToken('ops', 'bench-ops'), method, body);
}

/** One JSON request with this bearer token; throws on a non-2xx answer. */
export async function jsonWithToken(url: string, token: string, method: string, body?: unknown): Promise<any> {
  const authorization = `Bearer ${token}`;
  const res = await fetch(url, {
    method,
    headers: body ? { 'content-type': 'application/json', authorization } : { authorization },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Schedules and opens a drop over HTTP; its window opened a minute ago (the engine runs on the system clock). */
export async function openDropOverHttp(url: string, cap: number): Promise<string> {
  // Buyers come through a kiosk till (one verified token, a named customer per request).
  const definition = { ...hotDropDefinition(cap, new Date(Date.now() - 60_000).toISOString()), channels: ['web', 'kiosk'] };
  const { dropId } = await json(`${url}/drops`, 'POST', definition);
  await json(`${url}/drops/${dropId}/open`, 'POST');
  return dropId;
}

/** Runs one autocannon load in a forked process. */
export function load(req: LoadRequest): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = fork(path.join(__dirname, '../load/autocannon.worker.js'), [], { stdio: 'inherit' });
    worker.once('message', (m: { result?: LoadResult; error?: string }) => (m.result ? resolve(m.result) : reject(new Error(m.error))));
    worker.once('exit', (code) => (code !== 0 ? reject(new Error(`load generator exited with ${code}`)) : undefined));
    worker.send(req);
  });
}

/** Count of 5xx answers in a load result. */
export const fiveXX = (r: LoadResult): number =>
  Object.entries(r.statuses)
    .filter(([s]) => s.startsWith('5'))
    .reduce((a, [, n]) => a + n, 0);
