/**
 * One benchmark scenario. `npm run bench` runs every registered scenario; `npm run bench --
 * <name>` runs one. A scenario runs its own baseline in the same run and reports ratios,
 * because these machines are shared and only numbers from one run compare.
 *
 * Registering: a file `bench/src/scenarios/<name>.scenario.ts` that exports a Scenario (as
 * `scenario`, as the default export, or as any named export with `name` and `run`). The
 * runner finds every such file; each scenario runs in a process of its own so its peak RSS
 * is its own.
 */
export interface BenchContext {
  /** PostgreSQL server URL (from DATABASE_URL); scenarios create their own databases on it. */
  databaseUrl: string;
  /** Extra CLI arguments after the scenario name (e.g. `--events 200000`). */
  args: string[];
  /** Progress lines go to stderr. */
  log(message: string): void;
}

export interface BenchResult {
  scenario: string;
  /** Rows of the printed table: metric name → value, one row per measured variant (incl. the baseline). */
  rows: Array<Record<string, string | number>>;
  /** Headline figures checked against the targets. */
  summary: Record<string, string | number | boolean>;
  /** Targets and whether they were met, e.g. { 'accepted/s >= 20000': true }. */
  targets: Record<string, boolean>;
  /** Peak RSS of the process under test in MiB. */
  peakRssMiB?: number;
  /** Free-form lines printed under the table (e.g. where the time goes). */
  notes?: string[];
}

export interface Scenario {
  name: string;
  description: string;
  run(context: BenchContext): Promise<BenchResult>;
}
