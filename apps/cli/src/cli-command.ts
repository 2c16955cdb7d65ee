import { access, constants } from 'node:fs/promises';
import { resolve } from 'node:path';

/** Where a command writes: stdout carries the result (table, JSON), stderr progress and messages. */
export interface CliOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** What every subcommand gets. */
export interface CliContext {
  /**
   * The configuration's variables. Tests pass a map; the CLI leaves it unset and a command that
   * needs the configuration reads readEnvironment() (the one reader of process.env) when it loads it.
   */
  env?: Record<string, string | undefined>;
  stdout: CliOutput;
  stderr: CliOutput;
  /** The directory the user called from, for the paths on the command line (default: process.cwd()). */
  cwd?: string;
}

/** A path from the command line, absolute: relative ones are relative to where the user called from. */
export function pathFromCaller(context: CliContext, path: string): string {
  return resolve(context.cwd ?? process.cwd(), path);
}

/**
 * One `dropline <name>` subcommand. Each lives in its own `<name>.command.ts` file under
 * commands/ exporting `command`; the registry finds it there, so a new subcommand is one file.
 */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. Throw UsageError for bad arguments (exit 2 with the usage). */
  run(argv: string[], context: CliContext): Promise<number>;
}

/** Bad command-line arguments: main prints the message and the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A campaign file from the command line (see pathFromCaller) that exists and can be read, or
 * UsageError `cannot read <path>`: checked before a command opens or creates any store.
 */
export async function readableFile(context: CliContext, path: string): Promise<string> {
  const file = pathFromCaller(context, path);
  await access(file, constants.R_OK).catch(() => {
    throw new UsageError(`cannot read ${file}`);
  });
  return file;
}

/** Splits `a,b` and repeated flags into one list. */
export function listOf(values: string | string[] | undefined): string[] {
  if (values === undefined) return [];
  return (Array.isArray(values) ? values : [values])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

const DECIMAL = /^-?(\d+(\.\d+)?|\.\d+)$/;

/**
 * A comma-separated list of decimal numbers (`0.95`, `.95`, `7`; not `0x7`, `1e2` or `''`), each once;
 * undefined when the flag is absent; else UsageError naming the flag.
 */
export function numbersOf(flag: string, values: string | string[] | undefined): number[] | undefined {
  if (values === undefined) return undefined;
  const list = listOf(values);
  if (list.length === 0) throw new UsageError(`--${flag} takes at least one number`);
  const seen = new Set<number>();
  return list.map((v) => {
    if (!DECIMAL.test(v)) throw new UsageError(`--${flag}: "${v}" is not a decimal number`);
    const n = Number(v);
    if (seen.has(n)) throw new UsageError(`--${flag} lists ${v} twice`);
    seen.add(n);
    return n;
  });
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})/;
const DATE_OR_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * `--from`/`--to`: a UTC day (`2027-01-01`, its midnight UTC) or an instant with its offset
 * (`2027-01-01T09:00:00Z`, `…+01:00`), as an ISO instant; UsageError for anything else — an
 * instant without offset too, which would be read in the machine's time zone — and for a
 * `--from` not before `--to`.
 */
export function windowFlags(values: { from?: string; to?: string }): { from?: string; to?: string } {
  const out: { from?: string; to?: string } = {};
  for (const flag of ['from', 'to'] as const) {
    const value = values[flag];
    if (value === undefined) continue;
    const ms = DATE_OR_INSTANT.test(value) ? Date.parse(value) : Number.NaN;
    const [, y, m, d] = DATE.exec(value) ?? [];
    const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    // Date.parse takes 2027-02-30 as 2 March: the calendar day must exist as written.
    if (Number.isNaN(ms) || day.getUTCMonth() !== Number(m) - 1 || day.getUTCDate() !== Number(d))
      throw new UsageError(`--${flag} must be a UTC day (2027-01-01) or an instant with its offset (2027-01-01T09:00:00Z), not "${value}"`);
    out[flag] = new Date(ms).toISOString();
  }
  if (out.from !== undefined && out.to !== undefined && out.from >= out.to) throw new UsageError('--from must be before --to');
  return out;
}
