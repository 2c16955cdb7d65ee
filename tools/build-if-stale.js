#!/usr/bin/env node
// Runs `npm run build` only when dist/ is not a build of the sources as they are now, so
// `npm run dropline` and `npm start` do not spend seconds rebuilding an unchanged tree.
//
// A fingerprint of what the build reads (the path and content of every file under apps/, libs/
// and bench/ but the tests the build skips, plus .swcrc and package.json) is taken before the
// build and written to dist/.build-stamp after it succeeds. `npm run build` empties dist/ first,
// so a failed or interrupted build, or one run by hand, leaves no stamp and the next call builds.
//
//   node tools/build-if-stale.js    builds if needed (says so on stderr; stdout stays the CLI's)
'use strict';
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');
const INPUTS = ['apps', 'libs', 'bench', '.swcrc', 'package.json'];
/** The build's --ignore list (package.json): changing a test needs no rebuild. */
const NOT_BUILT = /\.(spec|int-spec|e2e-spec|chaos-spec)\.ts$/;

function fingerprint() {
  const hash = createHash('sha256');
  const visit = (file) => {
    const rel = path.relative(ROOT, file);
    let stat;
    try {
      stat = statSync(file);
    } catch {
      hash.update(`${rel}\0missing\n`);
      return;
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(file).sort()) if (name !== 'node_modules') visit(path.join(file, name));
    } else if (!NOT_BUILT.test(file)) {
      hash.update(`${rel}\0${stat.size}\0`).update(readFileSync(file)).update('\n');
    }
  };
  for (const input of INPUTS) visit(path.join(ROOT, input));
  return hash.digest('hex');
}

function builtFrom() {
  try {
    return readFileSync(STAMP, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const wanted = fingerprint();
if (builtFrom() === wanted) process.exit(0);

process.stderr.write('building dist/ (the sources changed since the last build)…\n');
// npm_execpath is npm itself when run by an npm script; `npm` on the PATH otherwise.
const npm = process.env.npm_execpath;
const result = npm
  ? spawnSync(process.execPath, [npm, 'run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] })
  : spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2], shell: process.platform === 'win32' });
if (result.error) throw result.error;
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(path.dirname(STAMP), { recursive: true });
writeFileSync(STAMP, `${wanted}\n`);
