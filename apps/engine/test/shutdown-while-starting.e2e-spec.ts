import { spawn, type ChildProcess } from 'node:child_process';
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

  const spawned: ChildProcess[] = [];
  // A test that failed leaves no engine behind.
  afterEach(() => {
    for (const child of spawned.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  /** The built engine on `dir`, its output collected. */
  async function spawnEngine(dir: string) {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/engine/src/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        LOG_LEVEL: 'log',
        LOG_FORMAT: 'json',
        DATA_DIR: dir,
        ...testAuthEnv(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    spawned.push(child);
    const run = { child, out: '', exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
    child.stdout!.on('data', (d) => (run.out += d));
    child.stderr!.on('data', (d) => (run.out += d));
    return run;
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** A stop asked for while starting ends as a stop once started does: exit 0, stopped cleanly, the lock released. */
  async function expectCleanStop(run: Awaited<ReturnType<typeof spawnEngine>>, dir: string): Promise<void> {
    const code = await run.exited;
    expect({ code, out: run.out }).toEqual({ code: 0, out: expect.stringMatching(/SIGTERM received( while starting|: draining)/) });
    expect(run.out).toContain('stopped cleanly');
    expect(existsSync(path.join(dir, DATA_DIR_LOCK_FILE))).toBe(false);
  }

  it('a signal while its modules still load is kept: no exit 143, a clean stop once started', async () => {
    // Node's own start comes before the engine's first module can take the signal: an attempt
    // whose signal beat it (killed, nothing written) is tried again a little later. Signalled
    // before PGlite's first line, the engine is still loading its modules (a second or more).
    for (const delayMs of [300, 600, 1_000]) {
      const dir = mkdtempSync(path.join(tmpdir(), 'dropline-load-stop-'));
      try {
        const run = await spawnEngine(dir);
        await new Promise((r) => setTimeout(r, delayMs));
        expect(run.out).not.toContain('PGlite');
        run.child.kill('SIGTERM');
        if ((await Promise.race([run.exited, new Promise((r) => setTimeout(r, 500, 'running'))])) === null && run.out === '') continue;
        await expectCleanStop(run, dir);
        return;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    throw new Error('every signal sent while the modules loaded killed the engine (exit 143)');
  }, 120_000);

  it('a signal while PGlite starts (the event loop busy) is not lost when the engine swaps its listeners', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dropline-busy-stop-'));
    try {
      const run = await spawnEngine(dir);
      await until(() => run.out.includes('embedded PGlite at'), 'PGlite to start');
      run.child.kill('SIGTERM');
      await expectCleanStop(run, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('stops cleanly once started, with exit 0 and no lock left; the DATA_DIR then starts', async () => {
    const run = await spawnEngine(dataDir);
    // Once the engine has begun (its DATA_DIR lock taken), well before PGlite has created the database.
    const deadline = Date.now() + 30_000;
    while (!existsSync(path.join(dataDir, DATA_DIR_LOCK_FILE)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(path.join(dataDir, DATA_DIR_LOCK_FILE))).toBe(true);
    run.child.kill('SIGTERM');
    const code = await run.exited;
    expect({ code, out: run.out }).toEqual({ code: 0, out: expect.stringContaining('received while starting') });
    expect(run.out).toContain('stopped cleanly');
    expect(run.out).not.toContain('listening on');
    expect(existsSync(path.join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);

    const again = await startEngineProcess({ DATA_DIR: dataDir }, { startTimeoutMs: 60_000 });
    try {
      expect((await fetch(`${again.url}/health/ready`)).status).toBe(200);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  }, 120_000);
});
