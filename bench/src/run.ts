import { execSync, fork } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext, BenchResult, Scenario } from './scenario';
import { serverSettings, ServerSettings } from './support/database';
import { formatTable } from './support/stats';

/*
 * `npm run bench [-- <scenario> [--flags]]`.
 *
 * The parent discovers every scenarios/*.scenario.js, prints the machine and the PostgreSQL
 * durability settings, and runs each scenario in a child process of its own (so a scenario's
 * peak RSS and heap are its own and a crash does not take the others down). The child runs
 * the scenario, prints its table and sends the result back; the parent appends one JSON line
 * per scenario to bench-results/results.jsonl.
 */

const ROOT = path.resolve(__dirname, '../../..');
const CHILD_FLAG = '--scenario-child';

function isScenario(value: unknown): value is Scenario {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Scenario).name === 'string' &&
    typeof (value as Scenario).run === 'function'
  );
}

/** Every scenario file in scenarios/, whatever it calls its export. */
export function discoverScenarios(): Scenario[] {
  const dir = path.join(__dirname, 'scenarios');
  if (!existsSync(dir)) return [];
  const found: Scenario[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.scenario\.js$/.test(f))
    .sort()) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- scenarios are discovered at run time
    const mod = require(path.join(dir, file)) as Record<string, unknown>;
    const candidates = [mod.scenario, mod.default, ...Object.values(mod)].filter(isScenario);
    if (candidates.length === 0) {
      process.stderr.write(`bench: ${file} exports no Scenario (an object with name and run); skipped\n`);
      continue;
    }
    for (const s of new Set(candidates)) if (!found.some((f) => f.name === s.name)) found.push(s);
  }
  // The issue's order first, then whatever other scenarios plugged in.
  const order = ['hot-drop', 'hot-drop-http', 'many-drops', 'read-all'];
  const rank = (s: Scenario) => (order.indexOf(s.name) === -1 ? order.length : order.indexOf(s.name));
  return found.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

function gitCommit(): string | undefined {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

function printResult(result: BenchResult): void {
  const out: string[] = [`\n== ${result.scenario}`, formatTable(result.rows), ''];
  for (const [k, v] of Object.entries(result.summary))
    out.push(`  ${k}: ${typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(v)}`);
  if (result.peakRssMiB !== undefined) out.push(`  peak RSS of the process under test: ${result.peakRssMiB} MiB`);
  for (const [target, met] of Object.entries(result.targets)) out.push(`  target ${target}: ${met ? 'MET' : 'MISSED'}`);
  for (const note of result.notes ?? []) out.push(`  ${note}`);
  process.stdout.write(out.join('\n') + '\n');
}

/** Child mode: run one scenario, print it, hand the result to the parent. */
async function runChild(name: string, args: string[], databaseUrl: string): Promise<void> {
  const scenario = discoverScenarios().find((s) => s.name === name);
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  const context: BenchContext = { databaseUrl, args, log: (m) => process.stderr.write(`[${name}] ${m}\n`) };
  const result = await scenario.run(context);
  printResult(result);
  await new Promise<void>((resolve) => process.send!({ result }, () => resolve()));
}

function runInChild(name: string, args: string[]): Promise<BenchResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [CHILD_FLAG, name, ...args], { cwd: ROOT, execArgv: process.execArgv, stdio: 'inherit' });
    let result: BenchResult | undefined;
    child.on('message', (m: { result?: BenchResult }) => (result = m.result ?? result));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      result ? resolve(result) : reject(new Error(`scenario ${name} exited with ${code ?? signal} and no result`)),
    );
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    process.stderr.write('bench: DATABASE_URL is required (e.g. postgres://postgres@127.0.0.1:5432/test)\n');
    process.exit(2);
  }
  if (argv[0] === CHILD_FLAG) return runChild(argv[1], argv.slice(2), databaseUrl);

  const scenarios = discoverScenarios();
  const selected = argv[0] && !argv[0].startsWith('--') ? argv[0].split(',') : undefined;
  const args = selected ? argv.slice(1) : argv;
  const toRun = selected ? scenarios.filter((s) => selected.includes(s.name)) : scenarios;
  const unknown = (selected ?? []).filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown scenario ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}\n`);
    process.exit(2);
  }

  let settings: ServerSettings;
  try {
    settings = await serverSettings(databaseUrl);
  } catch (e) {
    process.stderr.write(`bench: cannot reach PostgreSQL at DATABASE_URL: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  const host = machine();
  process.stdout.write(`machine: ${host.cpus} × ${host.cpuModel}, ${host.memoryGiB} GiB, node ${host.node}, ${host.platform}\n`);
  process.stdout.write(
    `PostgreSQL ${settings.version}: fsync=${settings.fsync} synchronous_commit=${settings.synchronous_commit} full_page_writes=${settings.full_page_writes} wal_level=${settings.wal_level} shared_buffers=${settings.shared_buffers}\n`,
  );
  if (settings.fsync !== 'on' || settings.synchronous_commit !== 'on')
    process.stdout.write('WARNING: PostgreSQL is not running with default durability; these numbers do not compare\n');
  process.stdout.write(`scenarios: ${toRun.map((s) => s.name).join(', ')}\n`);

  const resultsDir = path.join(ROOT, 'bench-results');
  mkdirSync(resultsDir, { recursive: true });
  const commit = gitCommit();
  let failures = 0;
  for (const scenario of toRun) {
    const started = Date.now();
    try {
      const result = await runInChild(scenario.name, args);
      const line = {
        at: new Date(started).toISOString(),
        durationS: Math.round((Date.now() - started) / 1000),
        commit,
        args,
        machine: host,
        postgres: settings,
        ...result,
      };
      appendFileSync(path.join(resultsDir, 'results.jsonl'), JSON.stringify(line) + '\n');
      process.stdout.write(`  (${line.durationS} s; appended to bench-results/results.jsonl)\n`);
    } catch (e) {
      failures++;
      process.stderr.write(`bench: ${scenario.name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  if (failures > 0) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
