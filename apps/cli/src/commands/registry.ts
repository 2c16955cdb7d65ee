import { readdirSync } from 'node:fs';
import type { CliCommand } from '../cli-command';

const COMMAND_FILE = /^[a-z][a-z0-9-]*\.command\.(js|ts)$/;

/**
 * Every subcommand in this folder, sorted by name. Discovered by file name (`*.command.js` when
 * built, `*.command.ts` under jest) so adding `token.command.ts` needs no edit anywhere else.
 * Every command is loaded on start, so commands import stores and NestJS lazily (`await import`)
 * inside `run`: `dropline replay file.ndjson` should not pay for PGlite or Nest.
 */
export function loadCommands(dir: string = __dirname): CliCommand[] {
  const commands = readdirSync(dir)
    .filter((file) => COMMAND_FILE.test(file) && !file.endsWith('.d.ts'))
    .map((file) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(`${dir}/${file}`) as { command?: CliCommand };
      if (!loaded.command) throw new Error(`${file} does not export \`command\``);
      return loaded.command;
    });
  return commands.sort((a, b) => a.name.localeCompare(b.name));
}
