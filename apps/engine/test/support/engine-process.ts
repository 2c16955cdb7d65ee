import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { testAuthEnv } from '../../../../libs/platform/src/testing/test-auth';

// DROPLINE_ENGINE_ROOT points at another build (a directory with dist/, tools/ and node_modules/) when
// the workspace's dist/ is being rebuilt under the tests' feet.
const ROOT = process.env.DROPLINE_ENGINE_ROOT ?? path.resolve(__dirname, '../../../..');
const MAIN = path.join(ROOT, 'dist/apps/engine/src/main.js');

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface EngineProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the BUILT engine as a plain `node` OS process (the way `npm start` runs it), with
 * and waits until it answers /health/live. `main` runs another build of it (e.g. `nest build`'s).
 */
export async function startEngineProcess(
  env: Record<string, string>,
  options: { port?: number; startTimeoutMs?: number; main?: string } = {},
): Promise<EngineProcess> {
  const main = options.main ?? MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first (npm test does)`);
  const port = options.port ?? (await freePort());
  let out = '';
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    // The engine trusts the test signing key (support/test-auth.ts) unless the test configures its own.
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...testAuthEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`engine exited with ${child.exitCode ?? child.signalCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/health/live`);
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`engine did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        // A process killed by a signal has signalCode set and exitCode null.
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}
