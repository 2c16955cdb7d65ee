import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * tools/build-if-stale.js, which `npm start`, `npm run dropline` and the other start scripts
 * run first, in a package of its own whose `build` empties dist/ and writes its 40 files slowly
 * (as `rm -rf dist && swc …` does): calls at once must build once and leave dist/ whole.
 */
describe('build-if-stale (the start scripts build dist/ only when the sources changed)', () => {
  let root: string;
  const FILES = 40;

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'build-if-stale-'));
    mkdirSync(path.join(root, 'tools'));
    mkdirSync(path.join(root, 'apps'));
    copyFileSync(path.join(__dirname, '..', 'tools', 'build-if-stale.js'), path.join(root, 'tools', 'build-if-stale.js'));
    writeFileSync(path.join(root, 'apps', 'main.ts'), 'export const version = 1;\n');
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'fixture', private: true, scripts: { build: 'node build.js' } }));
    writeFileSync(
      path.join(root, 'build.js'),
      `const fs = require('node:fs');
fs.appendFileSync('builds.log', process.pid + '\\n');
fs.rmSync('dist', { recursive: true, force: true });
fs.mkdirSync('dist');
for (let i = 0; i < ${FILES}; i++) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  fs.writeFileSync('dist/f' + i + '.js', '');
}
`,
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Runs the script `n` times at once; resolves with their exit codes. */
  const runAtOnce = (n: number) =>
    Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<number | null>((resolve) => {
            const env = { ...process.env };
            delete env.npm_execpath;
            const child = spawn(process.execPath, ['tools/build-if-stale.js'], { cwd: root, env, stdio: 'ignore' });
            child.on('exit', (code) => resolve(code));
          }),
      ),
    );
  const builds = () => readFileSync(path.join(root, 'builds.log'), 'utf8').trim().split('\n').length;
  const built = () => readdirSync(path.join(root, 'dist')).filter((f) => f.endsWith('.js')).length;

  it('builds once for three calls at once, and leaves dist/ whole with its stamp', async () => {
    expect(await runAtOnce(3)).toEqual([0, 0, 0]);
    expect(builds()).toBe(1);
    expect(built()).toBe(FILES);
    expect(existsSync(path.join(root, 'dist', '.build-stamp'))).toBe(true);
    // Unchanged sources: nothing to build.
    expect(await runAtOnce(2)).toEqual([0, 0]);
    expect(builds()).toBe(1);
  });

  it('builds once more after a change, whatever the number of calls', async () => {
    writeFileSync(path.join(root, 'apps', 'main.ts'), 'export const version = 2;\n');
    expect(await runAtOnce(3)).toEqual([0, 0, 0]);
    expect(builds()).toBe(2);
    expect(built()).toBe(FILES);
  });

  it('takes over a lock whose creator died before writing its pid, once it is old', async () => {
    const lock = path.join(root, 'node_modules', '.cache', 'dropline-build.lock');
    mkdirSync(lock, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    writeFileSync(path.join(root, 'apps', 'main.ts'), 'export const version = 2.5;\n');
    expect(await runAtOnce(1)).toEqual([0]);
    expect(built()).toBe(FILES);
    expect(existsSync(lock)).toBe(false);
  });

  it('releases the lock when it gets SIGTERM while it builds (it died holding it)', async () => {
    writeFileSync(path.join(root, 'apps', 'main.ts'), 'export const version = 2.75;\n');
    const env = { ...process.env };
    delete env.npm_execpath;
    const child = spawn(process.execPath, ['tools/build-if-stale.js'], { cwd: root, env, stdio: 'ignore' });
    const lock = path.join(root, 'node_modules', '.cache', 'dropline-build.lock');
    while (!existsSync(path.join(lock, 'pid'))) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGTERM');
    // Its build (which the signal did not reach) finishes; then it exits through its handler, lock released.
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect([0, 143]).toContain(code);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over the lock of a build that was killed', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    const lock = path.join(root, 'node_modules', '.cache', 'dropline-build.lock');
    mkdirSync(lock, { recursive: true });
    writeFileSync(path.join(lock, 'pid'), dead);
    writeFileSync(path.join(root, 'apps', 'main.ts'), 'export const version = 3;\n');
    const before = builds();
    expect(await runAtOnce(1)).toEqual([0]);
    expect(builds()).toBe(before + 1);
    expect(built()).toBe(FILES);
    expect(existsSync(lock)).toBe(false);
  });
});
