import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DATA_DIR_LOCK_FILE } from '@dropline/event-store';
import { freePort, startEngineProcess } from './support/engine-process';
import { testAuthEnv } from '../../../libs/platform/src/testing/test-auth';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * SIGTERM while the engine is still starting (a first `npm start` creating its DATA_DIR takes
 * seconds): it used to die half-way with 143 and leave its DATA_DIR lock behind. It now finishes
 * starting, shuts down as it does once running, exits 0, and the DATA_DIR opens again.
 */
describe('SIGTERM while the engine starts (built engine, embedded default)', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(path.join(tmpdir(), 'dropline-early-stop-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stops cleanly once started, with exit 0 and no lock left; the DATA_DIR then starts', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/engine/src/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        LOG_LEVEL: 'log',
        LOG_FORMAT: 'json',
        DATA_DIR: dataDir,
        ...testAuthEnv(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Once the engine has begun (its DATA_DIR lock taken), well before PGlite has created the database.
    const deadline = Date.now() + 30_000;
    while (!existsSync(path.join(dataDir, DATA_DIR_LOCK_FILE)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(path.join(dataDir, DATA_DIR_LOCK_FILE))).toBe(true);
    child.kill('SIGTERM');
    const code = await exited;
    expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining('received while starting') });
    expect(out).toContain('stopped cleanly');
    expect(out).not.toContain('listening on');
    expect(existsSync(path.join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);

    const again = await startEngineProcess({ DATA_DIR: dataDir }, { startTimeoutMs: 60_000 });
    try {
      expect((await fetch(`${again.url}/health/ready`)).status).toBe(200);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  }, 120_000);
});
