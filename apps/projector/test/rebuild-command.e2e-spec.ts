import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * `npm run projections:rebuild` on the embedded default: it used to open the DATA_DIR (failing on
 * the running engine's lock, or, with the engine stopped, waiting forever for a projector while
 * holding the lock itself). It now refuses at once and names the admin route.
 */
describe('projections:rebuild without DATABASE_URL', () => {
  it('exits 2 naming the route, without touching the DATA_DIR', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dropline-rebuild-cmd-'));
    try {
      const run = spawnSync(process.execPath, [path.join(ROOT, 'dist/apps/projector/src/rebuild.js'), 'drops'], {
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect({ status: run.status, stderr: run.stderr }).toEqual({
        status: 2,
        stderr: expect.stringContaining('POST /admin/projections/drops/rebuild'),
      });
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
