import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** What a holder process prints each time its holding changes. */
export interface HolderLine {
  held: boolean;
  fence: number | undefined;
  at: number;
}

/** The environment a holder script needs to load the built AdvisoryLease (npm test builds dist/ first). */
export function holderEnv(databaseUrl: string, lease: string): Record<string, string> {
  const root = path.resolve(__dirname, '../..');
  return {
    DATABASE_URL: databaseUrl,
    LEASE_NAME: lease,
    LEASE_MODULE: path.join(root, 'dist/libs/runtime/src/lease.js'),
    NODE_PATH: path.join(root, 'node_modules'),
  };
}

/** Collects a holder process's lines, and waits on them with what it said in the failure. */
export function followHolder(holder: ChildProcess) {
  const lines: HolderLine[] = [];
  let errors = '';
  holder.stderr!.on('data', (d) => (errors += d));
  createInterface({ input: holder.stdout! }).on('line', (line) => lines.push(JSON.parse(line) as HolderLine));
  const until = async (what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; holder said ${JSON.stringify(lines)} ${errors}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };
  return { lines, until };
}
