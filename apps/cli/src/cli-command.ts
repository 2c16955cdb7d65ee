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

/** A comma-separated list of numbers, or UsageError naming the flag. */
export function numbersOf(flag: string, values: string | string[] | undefined): number[] | undefined {
  const list = listOf(values);
  if (list.length === 0) return undefined;
  return list.map((v) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--${flag}: "${v}" is not a number`);
    return n;
  });
}
