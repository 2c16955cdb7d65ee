import type { CliContext } from '../cli-command';

/** A CliContext for tests: `env` as given, and what the command wrote to stdout and stderr. */
export function capturedIo(env: Record<string, string | undefined> = {}): CliContext & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    env,
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t), isTTY: false },
    out: () => out,
    err: () => err,
  };
}
