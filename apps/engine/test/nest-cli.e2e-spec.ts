import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEngineProcess } from './support/engine-process';

/**
 * The Nest CLI understands the monorepo: `nest build engine` (nest-cli.json, tsc with the path
 * aliases rewritten, the .sql files as assets) produces an engine that boots on the embedded
 * store and answers, with no resolver patch.
 */
const ROOT = path.resolve(__dirname, '../../..');

describe('nest build engine', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'dropline-nest-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('builds an engine that boots and answers', async () => {
    const build = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'engine'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect({ status: build.status, output: `${build.stdout}${build.stderr}`.trim() }).toEqual({ status: 0, output: '' });
    const engine = await startEngineProcess(
      { DATA_DIR: dataDir },
      { main: path.join(ROOT, 'dist/nest/engine/apps/engine/src/main.js'), startTimeoutMs: 120_000 },
    );
    try {
      const created = await fetch(`${engine.url}/drops`);
      expect(created.status).toBe(200);
      expect(await created.json()).toMatchObject({ drops: [] });
    } finally {
      await engine.stop();
    }
  }, 400_000);
});
