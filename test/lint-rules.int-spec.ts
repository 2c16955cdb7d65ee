import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The lint rules fire: each dependency rule and the process.env rule run on a small tree that
 * breaks it once (tools/lint-fixtures), with the project's own configuration files, and must
 * report exactly those breaks. A rule that silently stopped matching would pass `npm run lint`
 * forever; this catches it.
 */
const ROOT = path.resolve(__dirname, '..');
const BIN = {
  eslint: path.join(ROOT, 'node_modules/eslint/bin/eslint.js'),
  depcruise: path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'),
};

describe('lint rules on a fixture that breaks each of them', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dropline-lint-'));
    cpSync(path.join(ROOT, 'tools/lint-fixtures'), dir, { recursive: true });
    for (const file of ['eslint.config.mjs', '.dependency-cruiser.cjs']) cpSync(path.join(ROOT, file), path.join(dir, file));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (bin: string, args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });

  it('dependency-cruiser reports no-app-to-app, no-lib-to-app and domain-is-pure, once each', () => {
    // The JSON reporter exits 0 whatever it finds (npm run lint uses the err reporter, which fails): read the violations.
    const result = run(BIN.depcruise, ['apps', 'libs', '--config', '.dependency-cruiser.cjs', '--output-type', 'json']);
    expect(result.stderr).toBe('');
    const violations = (JSON.parse(result.stdout).summary.violations as Array<{ from: string; to: string; rule: { name: string } }>)
      .map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)
      .sort();
    expect(violations).toEqual([
      'domain-is-pure: libs/domain/src/impure.ts → fs',
      'no-app-to-app: apps/alpha/src/uses-beta.ts → apps/beta/src/beta.ts',
      'no-lib-to-app: libs/gamma/src/uses-app.ts → apps/beta/src/beta.ts',
    ]);
  });

  it('ESLint refuses process.env outside the config reader, and allows it there', () => {
    const result = run(BIN.eslint, ['--format', 'json', 'apps', 'libs']);
    expect(result.status).not.toBe(0);
    const messages = (JSON.parse(result.stdout) as Array<{ filePath: string; messages: Array<{ ruleId: string }> }>)
      .flatMap((f) => f.messages.map((m) => `${path.relative(dir, f.filePath)}: ${m.ruleId}`))
      .sort();
    expect(messages).toEqual(['apps/alpha/src/reads-env.ts: no-restricted-properties']);
  });
});
