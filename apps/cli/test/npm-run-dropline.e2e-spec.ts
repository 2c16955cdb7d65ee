import { spawn } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, setUpAuth } from '@dropline/platform';
import { toCampaignLine } from '@dropline/replay';
import { handMadeCampaign } from '../../../libs/replay/src/testing/hand-made-campaign';

const ROOT = resolve(__dirname, '../../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run dropline` as a user types it, from `cwd`, in a copy of the project (its own dist/: the
 * workspace's belongs to the other tests). The environment is the user's shell: no npm variables,
 * no engine configuration but `env`.
 */
function npmRunDropline(project: string, cwd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const shell = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(npm_|INIT_CWD$|DATA_DIR$|JWT_|EVENT_STORE$|NODE_ENV$)/i.test(k)),
  );
  return new Promise((done, fail) => {
    const child = spawn('npm', ['run', '-s', '--prefix', project, 'dropline', '--', ...args], {
      cwd,
      env: { ...shell, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('npm run dropline (the real CLI, called from another directory)', () => {
  let project: string;
  let elsewhere: string;
  const stamp = () => join(project, 'dist/.build-stamp');
  const mtime = (file: string) => statSync(join(project, file)).mtimeMs;

  beforeAll(() => {
    project = realpathSync(mkdtempSync(join(tmpdir(), 'dropline-project-')));
    // The sources and every top-level file (package.json, .swcrc, other build configuration).
    const files = readdirSync(ROOT, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name !== '.git')
      .map((e) => e.name);
    for (const entry of ['apps', 'libs', 'bench', 'tools', ...files]) cpSync(join(ROOT, entry), join(project, entry), { recursive: true });
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(project, 'node_modules'));
    elsewhere = realpathSync(mkdtempSync(join(tmpdir(), 'dropline-caller-')));
    writeFileSync(join(elsewhere, 'campaign.ndjson'), `${handMadeCampaign().map(toCampaignLine).join('\n')}\n`);
  });
  afterAll(() => {
    for (const dir of [project, elsewhere]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds once: a second call does not rebuild, a changed source does, a changed test does not', async () => {
    const first = await npmRunDropline(project, elsewhere, ['--help']);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: dropline <command>') });
    expect(first.stderr).toContain('building dist/');
    const built = { stamp: mtime('dist/.build-stamp'), main: mtime('dist/apps/cli/src/main.js') };

    const second = await npmRunDropline(project, elsewhere, ['--help']);
    expect(second).toEqual({ code: 0, stdout: first.stdout, stderr: '' });
    expect({ stamp: mtime('dist/.build-stamp'), main: mtime('dist/apps/cli/src/main.js') }).toEqual(built);

    const fingerprint = readFileSync(stamp(), 'utf8');
    appendFileSync(join(project, 'apps/cli/src/cli-command.ts'), '\n// changed\n');
    const third = await npmRunDropline(project, elsewhere, ['--help']);
    expect(third.code).toBe(0);
    expect(third.stderr).toContain('building dist/');
    expect(readFileSync(join(project, 'dist/apps/cli/src/cli-command.js'), 'utf8')).toContain('// changed');
    expect(readFileSync(stamp(), 'utf8')).not.toBe(fingerprint);

    appendFileSync(join(project, 'apps/cli/src/cli.spec.ts'), '\n// changed\n');
    expect(await npmRunDropline(project, elsewhere, ['--help'])).toEqual({ code: 0, stdout: first.stdout, stderr: '' });
  });

  it('reads and writes relative paths in the directory it was called from', async () => {
    const replay = await npmRunDropline(project, elsewhere, [
      'replay',
      'campaign.ndjson',
      '--policy',
      'reorder-point',
      '--lead-time',
      '2',
      '--review',
      '1',
      '--json',
      '--report',
      'report.html',
    ]);
    expect(replay.stderr).not.toContain('cannot read');
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout).format).toBe('dropline.replay/1');
    expect(readFileSync(join(elsewhere, 'report.html'), 'utf8')).toContain('chart-tradeoff');

    const missing = await npmRunDropline(project, elsewhere, ['replay', 'nope.ndjson']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read ${join(elsewhere, 'nope.ndjson')}`);

    // The default sandbox too lands where the user is.
    const imported = await npmRunDropline(project, elsewhere, ['import', 'campaign.ndjson']);
    expect(imported.stderr).toContain(`sandbox ${join(elsewhere, 'dropline-sandbox')}`);
    expect(imported.code).toBe(0);
    expect(existsSync(join(project, 'dropline-sandbox'))).toBe(false);
  });

  it("token: refuses without the engine's development key (exit 2, naming DATA_DIR, creating nothing); with it, mints a token the engine accepts", async () => {
    // DATA_DIR as the engine reads it: ./data in the package root, where `npm start` runs.
    const dataDir = join(project, 'data');
    const refused = await npmRunDropline(project, elsewhere, ['token', '--role', 'ops']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`no development key in DATA_DIR ${dataDir}`);
    expect(existsSync(dataDir)).toBe(false);

    const empty = join(elsewhere, 'empty-data');
    mkdirSync(empty);
    const refusedToo = await npmRunDropline(project, elsewhere, ['token', '--role', 'ops'], { DATA_DIR: empty });
    expect(refusedToo.code).toBe(2);
    expect(refusedToo.stderr).toContain(`no development key in DATA_DIR ${empty}`);

    // The engine's first start makes the key; the engine's verifier takes the CLI's token.
    const engine = await setUpAuth(loadConfig({ DATA_DIR: dataDir }));
    const minted = await npmRunDropline(project, elsewhere, ['token', '--role', 'ops']);
    expect(minted).toMatchObject({ code: 0, stderr: '' });
    expect(await engine.verifier.verify(minted.stdout.trim())).toEqual({ sub: 'dev-ops', roles: ['ops'] });
  });
});
