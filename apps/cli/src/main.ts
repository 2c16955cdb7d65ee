import { CampaignFileError, UnknownDropsError } from '@dropline/replay';
import { CliCommand, CliContext, UsageError } from './cli-command';
import { loadCommands } from './commands/registry';
import { readEnvironment, readProcessContext } from '@dropline/platform/config/environment';

function help(commands: CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: dropline <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'dropline <command> --help shows its options.',
    '',
  ].join('\n');
}

/**
 * The directory the user called from. `npm run dropline` runs in the package root and says where it
 * was called from in INIT_CWD; anything else (plain `node …/main.js`) runs where it was called.
 */
export function callerDirectory(env: Record<string, string | undefined>, cwd: string): string {
  return env.npm_lifecycle_event === 'dropline' && env.INIT_CWD ? env.INIT_CWD : cwd;
}

/** Runs one CLI invocation and returns the exit code (tests call this directly). */
export async function runCli(argv: string[], context: CliContext, commands: CliCommand[] = loadCommands()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(help(commands));
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    context.stderr.write(`unknown command "${name}"\n${help(commands)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    context.stdout.write(`${command.summary}\n\n${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, context);
  } catch (e) {
    // node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes (checked by code: the
    // class may come from another realm under jest).
    const code = String((e as { code?: unknown } | undefined)?.code ?? '');
    if (e instanceof UsageError || code.startsWith('ERR_PARSE_ARGS')) {
      context.stderr.write(`dropline ${name}: ${(e as Error).message}\n\n${command.usage}\n`);
      return 2;
    }
    if (e instanceof UnknownDropsError) {
      context.stderr.write(`dropline ${name}: ${e.message}; nothing ${name === 'export' ? 'written' : 'replayed'}\n`);
      return 1;
    }
    if (e instanceof CampaignFileError) {
      context.stderr.write(`dropline ${name}: ${e.message}${name === 'import' ? '\nnothing imported' : ''}\n`);
      return 1;
    }
    context.stderr.write(`dropline ${name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  // The environment and npm's process context come from the one reader of process.env (imported
  // without the rest of the platform lib, which would cost every call a second of Nest loading).
  runCli(process.argv.slice(2), {
    env: readEnvironment(),
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: callerDirectory(readProcessContext(), process.cwd()),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
